output "url" {
  description = "The inference service's URL (FA_TASKS__INFERENCE_URL)."
  value       = local.url
}

output "service_account_email" {
  description = "The service's own account (its secrets are granted to it)."
  value       = google_service_account.inference.email
}

output "tasks_invoker_email" {
  description = "The account Cloud Tasks mints OIDC tokens for."
  value       = google_service_account.tasks_invoker.email
}

output "queue_ids" {
  description = "Queue name => id."
  value       = { for name, queue in google_cloud_tasks_queue.queues : name => queue.id }
}

output "repository" {
  description = "The Docker repository for the GPU image."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}
