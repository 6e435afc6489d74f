// Starting and stopping canopyd and Envoy: the same helpers the SDK's end-to-end test
// uses (one implementation for both suites).
export * from "../../sdk/ts/test/e2e/processes.ts";
