# SQL over the lake's own files: one external table per table folder (finished days only:
# staging/ is outside every URI), Hive partitioned as the object names are.
locals {
  date_tables = toset([
    "blocks", "outputs", "txids", "intraday", "exchange_prices", "runs", "histograms",
    "mempool_runs", "mempool_points",
  ])
  external_tables = merge(
    {
      for table in local.date_tables : table => {
        uris   = ["${local.lake_url}/${table}/*"]
        prefix = "${local.lake_url}/${table}/{date:DATE}"
      }
    },
    {
      # Day prices of a month once merged (date is then a column) live under month=YYYY-MM,
      # a layout of their own: a second table, as two scans in DuckDB (README, Querying it).
      prices = {
        uris = [
          "${local.lake_url}/prices/kind=day/date=*",
          "${local.lake_url}/prices/kind=recent/*",
          "${local.lake_url}/prices/kind=mempool/*",
        ]
        prefix = "${local.lake_url}/prices/{kind:STRING}/{date:DATE}"
      }
      prices_day_months = {
        uris   = ["${local.lake_url}/prices/kind=day/month=*"]
        prefix = "${local.lake_url}/prices/kind=day/{month:STRING}"
      }
    },
  )
}

resource "google_bigquery_dataset" "lake" {
  dataset_id    = replace("${var.name_prefix}_lake", "-", "_")
  friendly_name = "chainprice lake"
  description   = "External tables over the chainprice lake's Parquet objects in gs://${var.bucket_name}/${var.lake_prefix}"
  location      = var.region
  depends_on    = [google_project_service.api]
}

resource "google_bigquery_table" "lake" {
  for_each            = local.external_tables
  dataset_id          = google_bigquery_dataset.lake.dataset_id
  table_id            = each.key
  deletion_protection = false # metadata only: the data stays in the bucket

  external_data_configuration {
    source_format = "PARQUET"
    autodetect    = true
    source_uris   = each.value.uris
    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = each.value.prefix
      require_partition_filter = false
    }
  }
}
