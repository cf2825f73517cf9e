output "api_url" {
  description = "The API's URL."
  value       = module.stack.api_url
}

output "stripe_webhook_url" {
  description = "The URL to register as Stripe's webhook endpoint."
  value       = module.stack.stripe_webhook_url
}

output "inference_url" {
  description = "The inference service's URL (smoke checks call /readyz with an identity token)."
  value       = module.stack.inference_url
}

output "image_repository" {
  description = "The Artifact Registry repository for the GPU image."
  value       = module.stack.image_repository
}
