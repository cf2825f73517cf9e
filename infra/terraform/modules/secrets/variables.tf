variable "project_id" {
  description = "Project that holds the secrets."
  type        = string
}

variable "secret_ids" {
  description = "Secret Manager secret ids (from the manifest). Terraform creates the secrets only: operators add versions, so values never enter the state."
  type        = list(string)
}

variable "accessors" {
  description = "Secret id => service account emails that may read it (each function reads only its own)."
  type        = map(list(string))
  default     = {}
}

variable "labels" {
  description = "Labels on every secret."
  type        = map(string)
  default     = {}
}
