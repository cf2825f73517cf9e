output "ids" {
  description = "Secret id => full resource id."
  value       = { for id, secret in google_secret_manager_secret.secrets : id => secret.id }
}
