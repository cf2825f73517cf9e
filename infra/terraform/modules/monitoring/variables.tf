variable "project_id" {
  description = "Project to monitor."
  type        = string
}

variable "notification_emails" {
  description = "Where alerts go (one email notification channel each)."
  type        = list(string)
  default     = []
}

variable "public_services" {
  description = "Cloud Run service names behind the public functions (api, stripe-webhook)."
  type        = list(string)
}

variable "inference_service" {
  description = "The inference service's Cloud Run name."
  type        = string
}

variable "dead_letter_hold" {
  description = "The pull subscription that keeps dead letters."
  type        = string
}

variable "thresholds" {
  description = "Alert thresholds."
  type = object({
    public_5xx_per_minute    = optional(number, 5)
    failed_jobs_per_hour     = optional(number, 20)
    inference_5xx_per_minute = optional(number, 1)
  })
  default = {}
}
