output "url" {
  description = "HTTPS URL of the service (Cloud Run terminates TLS with a managed certificate)"
  value       = google_cloud_run_v2_service.this.uri
}

output "hostname" {
  description = "Hostname of the service URL"
  value       = trimprefix(google_cloud_run_v2_service.this.uri, "https://")
}

output "service_name" {
  description = "Name of the Cloud Run service"
  value       = google_cloud_run_v2_service.this.name
}

output "service_account_email" {
  description = "Service account the service runs as; grant it access to buckets and databases"
  value       = google_service_account.this.email
}
