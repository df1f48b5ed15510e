"""The zndraw-joblib REST surface at /v1/joblib/: the same services and selectors as /api/jobs/,
in the original's paths, field names and RFC 9457 problem details (apps/jobs/README.md)."""
