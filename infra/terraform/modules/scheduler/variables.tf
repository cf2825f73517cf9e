variable "project_id" {
  description = "Project of the scheduler jobs."
  type        = string
}

variable "region" {
  description = "Region of the scheduler jobs."
  type        = string
}

variable "schedules" {
  description = "Job name => cron (UTC), topic name and JSON payload: the schedule table of shared/schedules.py, through the manifest."
  type = map(object({
    cron        = string
    time_zone   = optional(string, "Etc/UTC")
    topic       = string
    payload     = string
    description = optional(string, "")
  }))
}

variable "topic_ids" {
  description = "Topic name => topic id (from the pubsub module)."
  type        = map(string)
}

variable "paused" {
  description = "Create the jobs paused (a first deploy before data exists, or a maintenance window)."
  type        = bool
  default     = false
}
