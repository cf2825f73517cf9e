variable "project_id" {
  description = "Project that holds the topics and subscriptions."
  type        = string
}

variable "project_number" {
  description = "Project number, for the Pub/Sub service agent (service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com)."
  type        = string
}

variable "topics" {
  description = "Every event topic (from the manifest)."
  type        = list(string)
}

variable "dead_letter_topic" {
  description = "The topic that receives messages a subscription could not deliver after max_delivery_attempts."
  type        = string
}

variable "push_subscriptions" {
  description = "Push subscription name => topic, the receiving function's URL, and the service account the OIDC token is minted for."
  type = map(object({
    topic                 = string
    push_endpoint         = string
    oidc_service_account  = string
    ack_deadline_seconds  = optional(number, 300)
    max_delivery_attempts = optional(number, 5)
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
  }))
}

variable "dead_letter_hold" {
  description = "A pull subscription on the dead-letter topic that keeps dead letters for inspection and replay."
  type = object({
    name                       = optional(string, "dead-letter-hold")
    message_retention_duration = optional(string, "604800s")
  })
  default = {}
}

variable "labels" {
  description = "Labels on every topic and subscription."
  type        = map(string)
  default     = {}
}
