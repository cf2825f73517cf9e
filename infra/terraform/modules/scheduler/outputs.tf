output "job_names" {
  description = "Every scheduler job's name."
  value       = [for job in google_cloud_scheduler_job.jobs : job.name]
}
