variable "project_id" {
  description = "The Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the bucket, the functions, the scheduler jobs and the dataset."
  type        = string
  default     = "us-central1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, topics, service accounts)."
  type        = string
  default     = "chainprice"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name_prefix))
    error_message = "name_prefix: 2-15 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the lake's bucket (globally unique). It holds the lake under lake_prefix and the site under site/."
  type        = string
}

variable "lake_prefix" {
  description = "Folder of the lake in the bucket: the functions get CHAINPRICE_LAKE_URL=gs://BUCKET/PREFIX."
  type        = string
  default     = "lake"
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.lake_prefix))
    error_message = "lake_prefix: one folder name (letters, digits, '_' or '-'), without slashes."
  }
}

variable "function_source_zip" {
  description = "The functions' source zip, written by `python -m chainprice.deploy.function_source build/function --zip build/function.zip` (path from this folder)."
  type        = string
  default     = "../build/function.zip"
}

variable "node_url" {
  description = "The node as the functions reach it: the tunnel's public HTTPS URL (CHAINPRICE_NODE_URL)."
  type        = string
  validation {
    condition     = startswith(var.node_url, "https://")
    error_message = "node_url must be an https:// URL (a tunnel in front of the node, never plain HTTP over the internet)."
  }
}

variable "node_source" {
  description = "How the node is read: rest (Bitcoin Core REST, the safest behind a tunnel), rpc or esplora (CHAINPRICE_NODE_SOURCE)."
  type        = string
  default     = "rest"
  validation {
    condition     = contains(["rpc", "rest", "esplora"], var.node_source)
    error_message = "node_source must be rpc, rest or esplora."
  }
}

variable "rpc_user" {
  description = "JSON-RPC user (CHAINPRICE_RPC_USER); empty for rest and esplora."
  type        = string
  default     = ""
}

variable "rpc_password" {
  description = "JSON-RPC password, stored in Secret Manager (write-only: never in the state). Any placeholder for rest and esplora."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "node_headers" {
  description = "Headers the tunnel checks, as a JSON object (CHAINPRICE_NODE_HEADERS), stored in Secret Manager (write-only)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "alert_webhook" {
  description = "Post alerts to a webhook (Slack, Discord or any URL taking a JSON POST): true stores alert_webhook_url in Secret Manager as CHAINPRICE_ALERT_WEBHOOK_URL."
  type        = bool
  default     = false
}

variable "alert_webhook_url" {
  description = "The incoming webhook's URL, a secret (write-only: never in the state); used when alert_webhook is true."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "alert_max_lag_blocks" {
  description = "Alert when the lake is more than this many blocks behind the node (CHAINPRICE_ALERT_MAX_LAG_BLOCKS)."
  type        = number
  default     = 6
  validation {
    condition     = var.alert_max_lag_blocks >= 0 && floor(var.alert_max_lag_blocks) == var.alert_max_lag_blocks
    error_message = "alert_max_lag_blocks must be a whole number of blocks, 0 or more."
  }
}

variable "alert_max_divergence_pct" {
  description = "Alert when a stored price is further than this from the exchange's, in percent (CHAINPRICE_ALERT_MAX_DIVERGENCE_PCT)."
  type        = number
  default     = 5
  validation {
    condition     = var.alert_max_divergence_pct > 0 && var.alert_max_divergence_pct <= 1000
    error_message = "alert_max_divergence_pct must be in (0, 1000]."
  }
}

variable "alert_max_silence_seconds" {
  description = "Alert when a job has had no success for this long (CHAINPRICE_ALERT_MAX_SILENCE_SECONDS)."
  type        = number
  default     = 3600
  validation {
    condition     = var.alert_max_silence_seconds > 0
    error_message = "alert_max_silence_seconds must be a positive number of seconds."
  }
}

variable "secret_version" {
  description = "Raise it by one to store new values of rpc_password, node_headers and alert_webhook_url (write-only values are not compared)."
  type        = number
  default     = 1
}

variable "prices_url" {
  description = "mempool.space-compatible price API root for the exchange comparison (CHAINPRICE_PRICES_URL); empty for none."
  type        = string
  default     = "https://mempool.space/api"
}

variable "operator" {
  description = "The identity allowed to call the backfill function, e.g. user:ops@example.com or group:ops@example.com."
  type        = string
  validation {
    condition     = can(regex("^(user|group|serviceAccount):", var.operator))
    error_message = "operator must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL (never allUsers)."
  }
}

variable "site_origins" {
  description = "Origins allowed to read the lake from a browser (CORS): the site's host, and any custom domain serving it."
  type        = list(string)
  default     = ["https://storage.googleapis.com"]
}

variable "backfill_workers" {
  description = "Most backfill_worker instances at once (each reads one chunk from the node)."
  type        = number
  default     = 4
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept (the lake deletes retired objects itself after its grace period)."
  type        = number
  default     = 7
}

variable "alert_email" {
  description = "Where alerts go: the email address of the notification channel."
  type        = string
  validation {
    condition     = can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "health_check_minutes" {
  description = "How often the uptime check calls health, in minutes (1, 5, 10 or 15)."
  type        = number
  default     = 5
  validation {
    condition     = contains([1, 5, 10, 15], var.health_check_minutes)
    error_message = "health_check_minutes must be 1, 5, 10 or 15."
  }
}
