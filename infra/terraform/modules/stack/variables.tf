variable "project_id" {
  description = "The Google Cloud project of this environment."
  type        = string
}

variable "project_number" {
  description = "The project's number (service agents and Cloud Run URLs are named after it)."
  type        = string
}

variable "region" {
  description = "Region of every regional resource; it needs Cloud Run L4 GPU quota."
  type        = string
  default     = "europe-west4"
}

variable "environment" {
  description = "dev or prod: names, labels and sizes."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "manifest_path" {
  description = "infra/manifest.json, generated from the Python definitions by `make tf-manifest`."
  type        = string
}

variable "bundle_path" {
  description = "The functions' source zip (`make functions-bundle` writes dist/functions.zip)."
  type        = string
}

variable "inference_image" {
  description = "The GPU image by digest (Cloud Build resolves it after the push)."
  type        = string
}

variable "inference" {
  description = "The inference service's scaling."
  type = object({
    max_instances = optional(number, 2)
    concurrency   = optional(number, 8)
  })
  default = {}
}

variable "settings" {
  description = "Plain settings every function and the inference service get (FA_...); secrets never go here."
  type = object({
    jwt_issuer       = string
    jwks_url         = string
    supabase_url     = string
    app_url          = string
    cdn_base_url     = string
    storage_endpoint = string
    storage_bucket   = optional(string, "thumbnails")
    cors_origins     = optional(list(string), []) # the frontend's exact origins (https://app.example.com)
    extra            = optional(map(string), {})
  })
}

variable "function_overrides" {
  description = "Per function target: sizing that differs from the manifest (e.g. more api instances in prod)."
  type = map(object({
    max_instances = optional(number)
    memory        = optional(string)
  }))
  default = {}
}

variable "alert_emails" {
  description = "Email addresses that receive alerts."
  type        = list(string)
  default     = []
}

variable "schedules_paused" {
  description = "Create the Cloud Scheduler jobs paused."
  type        = bool
  default     = false
}

variable "deployer_service_account" {
  description = "The account Cloud Build deploys as: it may call the inference service for the smoke check."
  type        = string
  default     = null
}
