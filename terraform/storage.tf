# The lake's bucket: the lake under var.lake_prefix, the site under site/. Access is uniform
# (IAM only); the public reads only the two managed folders below, never the bucket itself.
resource "google_storage_bucket" "lake" {
  name                        = var.bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  # "inherited", not "enforced": enforcement would also refuse the managed folders' public grant.
  public_access_prevention = "inherited"
  force_destroy            = false

  versioning {
    enabled = true
  }

  # The lake deletes retired objects itself after its grace period; with versioning those
  # deletions (and every rewrite of manifest.json, latest.json and the mempool state) leave
  # noncurrent versions, kept this many days, then deleted.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  # manifest.json is rewritten by every run (about 430 times a day): bound its history.
  lifecycle_rule {
    condition {
      num_newer_versions = 20
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # DuckDB-WASM in the page reads Parquet with range requests.
  cors {
    origin          = var.site_origins
    method          = ["GET", "HEAD"]
    response_header = ["Content-Range", "Accept-Ranges", "Content-Length", "ETag", "Range", "Content-Type"]
    max_age_seconds = 3600
  }

  # The site's hosting: index.html for folder URLs (a custom domain or a load balancer in
  # front); without one the page is https://storage.googleapis.com/BUCKET/site/index.html.
  website {
    main_page_suffix = "index.html"
  }

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "lake"
  }

  depends_on = [google_project_service.api]
}

# Published folders, readable by anyone: the site, and the lake (its root holds latest.json and
# manifest.json, which a uniform-access bucket cannot publish apart from their folder).
resource "google_storage_managed_folder" "public" {
  for_each = toset(["site/", "${var.lake_prefix}/"])
  bucket   = google_storage_bucket.lake.name
  name     = each.value
}

resource "google_storage_managed_folder_iam_member" "public_read" {
  for_each       = google_storage_managed_folder.public
  bucket         = google_storage_bucket.lake.name
  managed_folder = each.value.name
  role           = "roles/storage.objectViewer"
  member         = "allUsers"
}

# The functions' source archives: a private bucket of its own.
resource "google_storage_bucket" "source" {
  name                        = "${var.bucket_name}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "source"
  }
  depends_on = [google_project_service.api]
}

# Usage logs of both buckets (who read what, and how much egress the public costs).
resource "google_storage_bucket" "access_logs" {
  name                        = "${var.bucket_name}-logs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_iam_member" "access_logs_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}
