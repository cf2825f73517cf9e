output "url" {
  description = "The function's HTTPS URL."
  value       = google_cloudfunctions2_function.function.service_config[0].uri
}

output "service_name" {
  description = "The Cloud Run service behind the function (for run.invoker grants)."
  value       = google_cloudfunctions2_function.function.name
}

output "service_account_email" {
  description = "The function's own service account."
  value       = google_service_account.function.email
}
