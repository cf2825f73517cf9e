variable "project_id" {
  description = "The project of this environment."
  type        = string
}

variable "project_number" {
  description = "The project's number."
  type        = string
}

variable "region" {
  description = "Region with Cloud Run L4 GPU quota."
  type        = string
  default     = "europe-west4"
}

variable "inference_image" {
  description = "The GPU image by digest, passed by Cloud Build: -var inference_image=…@sha256:…"
  type        = string
}

variable "bundle_path" {
  description = "The functions' source zip built by `make functions-bundle`."
  type        = string
  default     = "../../../../dist/functions.zip"
}

variable "settings" {
  description = "Plain settings of this environment (Supabase issuer and JWKS, app and CDN URLs, R2 endpoint)."
  type = object({
    jwt_issuer       = string
    jwks_url         = string
    supabase_url     = string
    app_url          = string
    cdn_base_url     = string
    storage_endpoint = string
    storage_bucket   = optional(string, "thumbnails")
    cors_origins     = optional(list(string), [])
    extra            = optional(map(string), {})
  })
}

variable "alert_emails" {
  description = "Who receives alerts."
  type        = list(string)
  default     = []
}

variable "deployer_service_account" {
  description = "Cloud Build's service account (smoke checks call the inference service as it)."
  type        = string
  default     = null
}
