# Spaces encrypts objects at rest. The bucket is private; applications reach it with
# a Spaces access key, and there is no per-bucket policy to grant anything wider.
resource "digitalocean_spaces_bucket" "this" {
  name          = var.bucket_name
  region        = var.region
  acl           = "private"
  force_destroy = var.force_destroy

  versioning {
    enabled = var.versioning_enabled
  }

  lifecycle_rule {
    id                                     = "expire-noncurrent-versions"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 7

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }
}
