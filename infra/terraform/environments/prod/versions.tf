terraform {
  required_version = ">= 1.7" # import blocks with for_each (main.tf)
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.28, < 8"
    }
  }
  # State in a versioned GCS bucket made once by hand (docs/deploy.md): terraform init -backend-config=...
  backend "gcs" {}
}
