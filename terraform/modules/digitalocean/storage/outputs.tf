output "bucket_name" {
  description = "Name of the bucket"
  value       = digitalocean_spaces_bucket.this.name
}

output "bucket_domain_name" {
  description = "Virtual-hosted domain name of the bucket"
  value       = digitalocean_spaces_bucket.this.bucket_domain_name
}

output "endpoint" {
  description = "S3-compatible endpoint of the bucket's region"
  value       = digitalocean_spaces_bucket.this.endpoint
}

output "urn" {
  description = "Uniform resource name of the bucket, for project assignment"
  value       = digitalocean_spaces_bucket.this.urn
}
