output "url" {
  description = "URL the service answers on through the load balancer (https when a certificate is attached)"
  value       = "${local.scheme}://${aws_lb.this.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer; point a CNAME or alias record here"
  value       = aws_lb.this.dns_name
}

output "load_balancer_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer, for alias records"
  value       = aws_lb.this.zone_id
}

output "load_balancer_arn" {
  description = "ARN of the load balancer"
  value       = aws_lb.this.arn
}

output "cluster_name" {
  description = "Name of the ECS cluster"
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "Name of the ECS service"
  value       = aws_ecs_service.this.name
}

output "task_role_arn" {
  description = "IAM role the application assumes; grant it access to buckets and other resources"
  value       = aws_iam_role.task.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group holding container output"
  value       = aws_cloudwatch_log_group.this.name
}
