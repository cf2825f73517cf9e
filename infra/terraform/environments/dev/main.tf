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

# The database's secrets are made by hand before the first build (docs/deploy.md §1): the pipeline's migration step
# reads them before Terraform runs. Terraform adopts them on its first apply; once they are in state, this does
# nothing.
import {
  for_each = toset(["fa-database-url", "fa-database-ca-cert"])
  to       = module.stack.module.secrets.google_secret_manager_secret.secrets[each.value]
  id       = "projects/${var.project_id}/secrets/${each.value}"
}
