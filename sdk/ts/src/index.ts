/**
 * `@canopy/sdk`: Canopy's TypeScript SDK.
 *
 * `createCanopyClient` gives typed clients over grpc-web; messages are the
 * protobuf-es types generated from `proto/` (namespaced by package, e.g.
 * `sites.CreateSiteRequestSchema`), built with `create` from `@bufbuild/protobuf`.
 */
export { createCanopyClient, authInterceptor, errorInterceptor, serviceClients } from "./client.js";
export type { CanopyClient, CanopyClientOptions, TokenRequest, TokenSource } from "./client.js";
export { CanopyError, isCanopyError, toCanopyError } from "./errors.js";
export { DeploymentLog, followDeployment } from "./deployment-log.js";
export type { FollowDeploymentOptions } from "./deployment-log.js";
export {
  decodeStatus,
  decodeAny,
  decodeErrorInfo,
  decodeBadRequest,
  decodeRetryInfo,
  typeName,
} from "./rpc-status.js";
export type { RpcStatus, RpcAny, ErrorInfo, FieldViolation, BadRequest, RetryInfo } from "./rpc-status.js";
export { Code, ConnectError } from "@connectrpc/connect";
export { create, toBinary, fromBinary, toJson, fromJson } from "@bufbuild/protobuf";

export * as common from "./gen/canopy/common/v1/common_pb.js";
export * as identity from "./gen/canopy/identity/v1/identity_pb.js";
export * as tenancy from "./gen/canopy/tenancy/v1/tenancy_pb.js";
export * as sites from "./gen/canopy/sites/v1/sites_pb.js";
export * as audit from "./gen/canopy/audit/v1/audit_pb.js";
export * as alerts from "./gen/canopy/alerts/v1/alerts_pb.js";
export * as policy from "./gen/canopy/policy/v1/policy_pb.js";
export * as cost from "./gen/canopy/cost/v1/cost_pb.js";
export * as commerce from "./gen/canopy/commerce/v1/commerce_pb.js";
