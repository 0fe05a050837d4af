//! What the app tells the core about the device: never guessed by the core.

use serde_json::{Map, Value};

/// The app and device, as the app reports them. Every field that is `Some` is added to every
/// event under its PostHog property name; `None` fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceContext {
    /// `$app_name`.
    pub app_name: Option<String>,
    /// `$app_version`.
    pub app_version: Option<String>,
    /// `$app_build`.
    pub app_build: Option<String>,
    /// `$app_namespace` (bundle id / package name).
    pub app_namespace: Option<String>,
    /// `$os` (e.g. `iOS`, `Android`).
    pub os_name: Option<String>,
    /// `$os_version`.
    pub os_version: Option<String>,
    /// `$device_model`.
    pub device_model: Option<String>,
    /// `$device_manufacturer`.
    pub device_manufacturer: Option<String>,
    /// `$device_type` (e.g. `Mobile`, `Tablet`).
    pub device_type: Option<String>,
    /// `$locale` (e.g. `en-GB`).
    pub locale: Option<String>,
    /// `$timezone` (IANA name).
    pub timezone: Option<String>,
}

impl DeviceContext {
    /// The event properties this context adds.
    pub fn properties(&self) -> Map<String, Value> {
        let fields = [
            ("$app_name", &self.app_name),
            ("$app_version", &self.app_version),
            ("$app_build", &self.app_build),
            ("$app_namespace", &self.app_namespace),
            ("$os", &self.os_name),
            ("$os_version", &self.os_version),
            ("$device_model", &self.device_model),
            ("$device_manufacturer", &self.device_manufacturer),
            ("$device_type", &self.device_type),
            ("$locale", &self.locale),
            ("$timezone", &self.timezone),
        ];
        fields
            .into_iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .map(|v| (k.to_string(), Value::String(v.clone())))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_present_fields_become_properties() {
        let c = DeviceContext {
            os_name: Some("iOS".into()),
            locale: Some("en-GB".into()),
            ..DeviceContext::default()
        };
        let p = c.properties();
        assert_eq!(p.len(), 2);
        assert_eq!(p["$os"], "iOS");
        assert_eq!(p["$locale"], "en-GB");
    }
}
