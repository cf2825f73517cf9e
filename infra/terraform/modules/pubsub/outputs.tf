output "topic_ids" {
  description = "Topic name => topic id."
  value       = { for name, topic in google_pubsub_topic.topics : name => topic.id }
}

output "subscription_names" {
  description = "Every push subscription's name."
  value       = [for s in google_pubsub_subscription.push : s.name]
}

output "dead_letter_hold" {
  description = "The pull subscription that keeps dead letters (operators read and replay from it)."
  value       = google_pubsub_subscription.dead_letter_hold.id
}
