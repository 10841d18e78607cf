terraform {
  # 1.11: write-only arguments, so the node's secrets never enter the state.
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.30, < 7.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
