output "api_url" {
  description = "The public API function's URL (the frontend's base URL)."
  value       = module.functions["api"].url
}

output "stripe_webhook_url" {
  description = "Register this URL as the Stripe webhook endpoint."
  value       = module.functions["stripe_webhook"].url
}

output "inference_url" {
  description = "The inference service's URL."
  value       = module.inference.url
}

output "image_repository" {
  description = "Where Cloud Build pushes the GPU image."
  value       = module.inference.repository
}

output "dead_letter_hold" {
  description = "The subscription operators read dead letters from."
  value       = module.pubsub.dead_letter_hold
}
