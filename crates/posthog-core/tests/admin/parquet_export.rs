//! Parquet exports (the `parquet` cargo feature).

use crate::live::{admin_server, direct_uuids, generate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use posthog_core::ErrorKind;
use posthog_core::admin::{ExportOptions, ExportSource, ProjectId};

#[test]
fn exports_events_to_parquet_one_row_group_per_page() {
    let (server, c) = admin_server().unwrap();
    generate(
        &server,
        1200,
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:10:00Z",
    );
    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("posthog-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.parquet");
    let opts = ExportOptions {
        page_size: 500,
        ..Default::default()
    };
    let report = c
        .export_parquet(ProjectId::Current, &src, &path, opts)
        .unwrap();
    assert_eq!((report.rows, report.pages), (1200, 3));

    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(
        builder.metadata().num_row_groups(),
        3,
        "one row group per page"
    );
    let mut uuids = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let col = batch.column_by_name("uuid").unwrap();
        let col = col
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        uuids.extend(col.iter().map(|v| v.unwrap().to_string()));
    }
    assert_eq!(uuids, direct_uuids(&c), "every row, in keyset order");

    // No resume for Parquet: a checkpoint is refused with a typed error.
    let resume = ExportOptions {
        checkpoint: Some(report.checkpoint),
        ..Default::default()
    };
    let err = c
        .export_parquet(ProjectId::Current, &src, &path, resume)
        .unwrap_err();
    assert_eq!(err.error.kind(), ErrorKind::InvalidInput);
    std::fs::remove_dir_all(&dir).unwrap();
}
