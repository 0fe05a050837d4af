//! Which scopes a personal API key may carry: `*`, or `<object>:read|write` with an
//! object of PostHog's `API_SCOPE_OBJECTS` (posthog/scopes.py).

use crate::admin::settings::PersonalApiKeys;

/// PostHog's scope objects.
const OBJECTS: &[&str] = &[
    "action", "access_control", "account", "activity_log", "alert", "annotation",
    "approvals", "batch_export", "batch_import", "batch_import_support", "billing",
    "business_knowledge", "canvas", "clickhouse_test_cluster_perf", "cohort", "comment",
    "conversation", "customer_analytics", "customer_task", "customer_journey",
    "customer_profile_config", "data_catalog", "data_catalog_approval", "dashboard",
    "event_filter", "dashboard_template", "dataset", "early_access_feature", "endpoint",
    "engineering_analytics", "error_tracking", "evaluation", "element", "event_definition",
    "experiment", "experiment_holdout", "experiment_saved_metric", "export",
    "external_data_schema", "external_data_source", "feature_flag", "file_system",
    "file_system_shortcut", "group", "health_issue", "heatmap", "hog_flow", "hog_function",
    "ingestion_warning", "insight", "insight_variable", "integration", "interactive_run",
    "internal_run", "legal_document", "link", "live_debugger", "llm_analytics",
    "ai_observability_clusters", "llm_gateway", "llm_playground", "llm_prompt",
    "llm_provider_key", "llm_skill", "logs", "loop", "loop_context_internal",
    "marketing_analytics", "mcp_builtin_agent", "mcp_analytics", "metrics", "notebook",
    "organization", "organization_integration", "organization_member", "person", "plugin",
    "product_enablement", "product_tour", "project", "property_definition", "query",
    "query_performance", "replay_scanner", "review_hog", "revenue_analytics",
    "session_recording", "session_recording_playlist", "sharing_configuration",
    "signal_scout", "signal_scout_internal", "signal_scout_report",
    "signal_scratchpad_internal", "stamphog", "streamlit_app", "subscription", "survey",
    "tagger", "ticket", "task", "toolbar", "tracing", "field_note", "uploaded_media",
    "usage_metric", "user", "user_interview", "vision_action", "vision_alert",
    "visual_review", "warehouse_objects", "warehouse_table", "warehouse_view",
    "web_analytics", "webhook", "wizard_session",
];

/// The first scope `validate_scopes` refuses, if any (the legacy server also knows the
/// `personal_api_key` object).
pub(crate) fn first_invalid(scopes: &[String], version: PersonalApiKeys) -> Option<&String> {
    scopes.iter().find(|scope| {
        if scope.as_str() == "*" {
            return false;
        }
        let parts: Vec<&str> = scope.split(':').collect();
        let known = |object: &str| {
            OBJECTS.contains(&object)
                || (version == PersonalApiKeys::Legacy && object == "personal_api_key")
        };
        !(parts.len() == 2 && known(parts[0]) && matches!(parts[1], "read" | "write"))
    })
}
