provider "google" {
  project = var.project_id
  region  = var.region
}

module "stack" {
  source          = "../../modules/stack"
  project_id      = var.project_id
  project_number  = var.project_number
  region          = var.region
  environment     = "dev"
  manifest_path   = "${path.module}/../../../manifest.json"
  bundle_path     = var.bundle_path
  inference_image = var.inference_image
  inference       = { max_instances = 1 }
  settings        = var.settings
  alert_emails    = var.alert_emails

  deployer_service_account = var.deployer_service_account
  function_overrides = {
    api = { max_instances = 10 }
  }
}
