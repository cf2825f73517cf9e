locals {
  service_agent = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "topics" {
  # checkov:skip=CKV_GCP_83: messages carry ids and usernames for a day at most; Google-managed encryption at rest, no KMS key to run.
  for_each                   = toset(concat(var.topics, [var.dead_letter_topic]))
  project                    = var.project_id
  name                       = each.value
  labels                     = var.labels
  message_retention_duration = "86400s"
}

resource "google_pubsub_subscription" "push" {
  for_each             = var.push_subscriptions
  project              = var.project_id
  name                 = each.key
  topic                = google_pubsub_topic.topics[each.value.topic].id
  ack_deadline_seconds = each.value.ack_deadline_seconds
  labels               = var.labels

  push_config {
    push_endpoint = each.value.push_endpoint
    oidc_token {
      service_account_email = each.value.oidc_service_account
      audience              = each.value.push_endpoint
    }
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topics[var.dead_letter_topic].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # never expire for inactivity
  }
}

# Without these two roles for the Pub/Sub service agent, dead-lettering silently does nothing.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.topics[var.dead_letter_topic].name
  role    = "roles/pubsub.publisher"
  member  = local.service_agent
}

resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  for_each     = var.push_subscriptions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.service_agent
}

resource "google_pubsub_subscription" "dead_letter_hold" {
  project                    = var.project_id
  name                       = var.dead_letter_hold.name
  topic                      = google_pubsub_topic.topics[var.dead_letter_topic].id
  message_retention_duration = var.dead_letter_hold.message_retention_duration
  retain_acked_messages      = false
  ack_deadline_seconds       = 60
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}
