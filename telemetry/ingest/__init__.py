"""HTTP ingest of readings: JSON batches and InfluxDB line protocol (v1 and v2 write endpoints)."""
