variable "project_id" {
  description = "Project of the inference service."
  type        = string
}

variable "project_number" {
  description = "Project number: the service's URL (https://<name>-<number>.<region>.run.app) is known before it exists, so the service can check its own OIDC audience."
  type        = string
}

variable "region" {
  description = "Region of the service and its queues (it must have L4 quota)."
  type        = string
}

variable "image" {
  description = "The GPU image by digest: <region>-docker.pkg.dev/<project>/<repo>/inference@sha256:..."
  type        = string
  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.image))
    error_message = "Deploy the inference image by digest (…@sha256:<64 hex>), never by tag."
  }
}

variable "service" {
  description = "The Cloud Run GPU service's shape."
  type = object({
    name                  = optional(string, "inference")
    max_instances         = optional(number, 2)
    cpu                   = optional(string, "4")
    memory                = optional(string, "16Gi")
    concurrency           = optional(number, 8) # requests per instance: the batcher merges them into GPU batches
    timeout_s             = optional(number, 900)
    startup_probe_timeout = optional(number, 240) # model load and warm-up, from local disk
  })
  default = {}
}

variable "environment" {
  description = "Plain environment variables of the service (FA_...)."
  type        = map(string)
  default     = {}
}

variable "secret_keys" {
  description = "The settings keys of the secrets the service reads (FA_SECRETS)."
  type        = string
}

variable "queues" {
  description = "Cloud Tasks queues feeding /v1/analyze (from the manifest)."
  type = map(object({
    max_dispatches_per_second = number
    max_concurrent_dispatches = number
    max_attempts              = optional(number, 10)
  }))
}

variable "labels" {
  description = "Labels on the service, repository and queues."
  type        = map(string)
  default     = {}
}

variable "extra_invokers" {
  description = "Other accounts that may call the service (e.g. Cloud Build's, for the /readyz smoke check)."
  type        = list(string)
  default     = []
}
