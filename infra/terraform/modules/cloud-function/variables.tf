variable "project_id" {
  description = "Project of the function."
  type        = string
}

variable "region" {
  description = "Region of the function."
  type        = string
}

variable "name" {
  description = "The functions-framework target; also the function's name and its service account's id (dashes for underscores)."
  type        = string
}

variable "source_file" {
  description = "The entry module inside the bundle, e.g. functions/api/main.py (GOOGLE_FUNCTION_SOURCE)."
  type        = string
}

variable "bundle" {
  description = "The source bundle in Cloud Storage; its object is named by the zip's hash, so a code change redeploys."
  type = object({
    bucket = string
    object = string
  })
}

variable "runtime" {
  description = "Cloud Functions runtime."
  type        = string
  default     = "python311"
}

variable "settings" {
  description = "Sizing and scaling of the function."
  type = object({
    memory        = optional(string, "512Mi")
    cpu           = optional(string, "1")
    timeout_s     = optional(number, 60)
    max_instances = optional(number, 20)
    concurrency   = optional(number, 1)
  })
  default = {}
}

variable "environment" {
  description = "Plain (non-secret) environment variables; secrets come from Secret Manager through FA_SECRETS."
  type        = map(string)
  default     = {}
}

variable "secret_keys" {
  description = "The settings keys of the secrets this function reads (FA_SECRETS), e.g. database.url,apify.token."
  type        = string
}

variable "public" {
  description = "Whether allUsers may invoke it (the API and the Stripe webhook only)."
  type        = bool
  default     = false
}

variable "tasks" {
  description = "When set, the function may create Cloud Tasks on these queues, as the given invoker account (actAs for OIDC)."
  type = object({
    queue_ids               = list(string)
    invoker_service_account = string
  })
  default = null
}

variable "labels" {
  description = "Labels on the function."
  type        = map(string)
  default     = {}
}
