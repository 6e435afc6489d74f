//! `@canopy/ui`: the themeable components both portals are built from, and the
//! session plumbing they share.
export { Alert, type AlertProps } from "./components/alert";
export { AppShell, CenteredPage, MAIN_ID, NavSpacer, SkipLink, type AppShellProps } from "./components/app-shell";
export { Button, type ButtonProps } from "./components/button";
export { Card, type CardProps } from "./components/card";
export { CopyButton, type CopyButtonProps } from "./components/copy-button";
export { DescriptionList, type DescriptionListProps } from "./components/description-list";
export { EmptyState, type EmptyStateProps } from "./components/empty-state";
export { Progress, Spinner, type ProgressProps, type SpinnerProps } from "./components/spinner";
export { StatusBadge, type StatusBadgeProps, type StatusTone } from "./components/status-badge";
export { Table, type TableProps } from "./components/table";
export { UrlText } from "./components/url-text";
export { DeleteButton, ManagedList, type DeleteButtonProps, type DeleteConfirmation, type ManagedListProps } from "./lists/managed-list";
export { useConfirmedDelete, type ConfirmedDelete, type ConfirmedDeleteOptions } from "./lists/use-confirmed-delete";
export { SectionLayout, SectionPage, type Section, type SectionLayoutProps, type SectionPageProps } from "./components/section-layout";
export {
  PROVIDERS,
  SITE_STATUS_FILTERS,
  SIZES,
  deploymentKind,
  deploymentStatus,
  isFinished,
  isSettling,
  siteStatus,
  siteStatusFromName,
} from "./sites/site-status";
export { useDeploymentWatch, type DeploymentWatch, type WatchConnection } from "./sites/use-deployment-watch";
export { DeploymentProgress, type DeploymentProgressProps } from "./sites/deployment-progress";
export { SiteOutputs } from "./sites/site-outputs";
export { DeploymentHistory, type DeploymentHistoryProps } from "./sites/deployment-history";
export { CancelDeployment, isCancellable, type CancelDeploymentProps } from "./sites/cancel-deployment";
export { durationInWords, formatDateTime, timeInWords, toDate, type Timestamp } from "./sites/time-in-words";
export { ApiKeyManager, type ApiKeyManagerProps } from "./api-keys/api-key-manager";
export { apiKeyKeys, apiKeyQueries, useCreateApiKey, useRevokeApiKey, type ApiKeyListFilters } from "./api-keys/api-key-queries";
export { ROLE, grantableRoles, roleLabel, type Role } from "./api-keys/roles";
export { SelectField, TextAreaField, TextField, type SelectFieldProps, type TextAreaFieldProps, type TextFieldProps } from "./components/text-field";
export { FONT_FAMILIES, applyFavicon, applyTheme, themeVariables, type BrandingTheme } from "./theme/branding-theme";
export { errorMessage, fieldErrors, type FieldErrors } from "./session/error-message";
export { useFormAction, type FormAction } from "./session/use-form-action";
export { SessionStore, createPortalClient, type PortalClientOptions, type SessionTokens } from "./session/session-store";
export { SignInForm, type SignInFormProps } from "./session/sign-in-form";
export { CanopyContext, nextPath, useCanopy, useSignedIn, type Canopy } from "./session/portal-context";
export { loadConfig, type PortalConfig } from "./config/portal-config";
export { mountPortal } from "./config/mount-portal";
export { createPortalApp, type PortalAppOptions } from "./config/portal-app";
export { SignInCard, SignedInOnly, useSignOut } from "./session/signed-in-only";
export { SetPasswordForm, tokenFromFragment, type SetPasswordFormProps } from "./session/set-password-form";
export { Pager, type PagerProps } from "./paging/pager";
export { usePageTokens, type PageTokens } from "./paging/use-page-tokens";
export { newIdempotencyKey } from "./lib/idempotency-key";
export { SiteTitle } from "./sites/site-title";
export { useLiveDeployment, type LiveDeployment } from "./sites/use-live-deployment";
export { useSite } from "./sites/use-site";
export {
  SITE_SETTLING_EVERY_MS,
  deploymentKeys,
  deploymentQueries,
  siteKeys,
  siteQueries,
  useDeleteSite,
  useRedeploySite,
  useRefreshSite,
  type SiteListRequest,
} from "./sites/site-queries";
export { currentUserKeys, currentUserQueries } from "./session/current-user";
export { FilterBar, type FilterBarProps } from "./filters/filter-bar";
export { useSearchFilters, type Filters } from "./filters/use-search-filters";
export { OUTCOME_CODES, actorKindLabel, readableAction } from "./audit/audit-words";
export { OutcomeBadge } from "./audit/outcome-badge";
export {
  AUDIT_FILTER_KEYS,
  NO_AUDIT_FILTERS,
  isFiltered,
  toAuditFilter,
  useAuditFilters,
  type AuditFilterKey,
  type AuditFilterValues,
} from "./audit/audit-filters";
export { AUDIT_PAGE_SIZE, auditKeys, auditQueries, useVerifyAuditLog } from "./audit/audit-queries";
export { AuditEventTable, type AuditEventTableProps } from "./audit/audit-event-table";
export { AuditEventList, type AuditEventListProps } from "./audit/audit-event-list";
export { AuditFilterBar, type AuditFilterBarProps } from "./audit/audit-filter-bar";
export { AuditExport, downloadFile, exportAuditEvents, exportFileName, type AuditExportProps, type ExportFormatName } from "./audit/audit-export";
export { AuditVerify, VerifyResult, type AuditVerifyProps } from "./audit/audit-verify";
export { CheckpointKey } from "./audit/checkpoint-key";
export {
  ALERT_STATE_FILTERS,
  ALERT_STATE_FILTERS_ALL_FIRST,
  alertState,
  alertStateFromName,
  incidentState,
  matcherText,
  matchersForAlert,
  receiverKind,
  receiverTarget,
  severityLabel,
  severityTone,
  silenceState,
  sortedLabels,
} from "./alerts/alert-words";
export { LabelChips, type LabelChipsProps } from "./alerts/label-chips";
export { AlertStateBadge, SeverityBadge } from "./alerts/severity-badge";
export { AlertTable, type AlertTableProps } from "./alerts/alert-table";
export { ALERT_PAGE_SIZE, alertKeys, alertQueries, type AlertFilterValues } from "./alerts/alert-queries";
export { ALERT_FILTER_KEYS, AlertList, type AlertListProps } from "./alerts/alert-list";
export { ConfirmDialog, type ConfirmDialogProps } from "./alerts/confirm-dialog";
export { ReceiverForm, type ReceiverFormProps, type ReceiverSpecInit } from "./alerts/receiver-form";
export { ReceiverManager, type ReceiverManagerProps } from "./alerts/receiver-manager";
export {
  CHECK_STATE_FILTERS,
  KIND_FILTERS,
  LEVEL_FILTERS,
  checkState,
  checkStateFromName,
  enforcementLevel,
  enforcementOptions,
  fromMinorUnits,
  kindFromName,
  kindLabel,
  levelFromName,
  moneyText,
  parseLabels,
  scopeText,
  tierLabel,
  toMinorUnits,
} from "./policy/policy-words";
export {
  POLICY_PAGE_SIZE,
  complianceKeys,
  complianceQueries,
  policyCheckKeys,
  policyCheckQueries,
  policyKeys,
  policyQueries,
  useCreatePolicy,
  useDeletePolicy,
  useResolvePolicyCheck,
  useUpdatePolicy,
  type PolicyCheckListRequest,
  type PolicyListRequest,
  type PolicySpecInit,
  type ValidatePolicyRequest,
  type ViolationListRequest,
} from "./policy/policy-queries";
export { PolicyDecisions, decisionFails, type PolicyDecisionsProps } from "./policy/policy-decisions";
export { PolicyForm, isRevisionConflict, type PolicyFormProps } from "./policy/policy-form";
export { PolicyCheckActions, PolicyCheckPanel, type PolicyCheckActionsProps, type PolicyCheckPanelProps } from "./policy/policy-check-panel";
export { PolicyTable, type PolicyTableProps } from "./policy/policy-table";
export { PolicySummary } from "./policy/policy-summary";
export { ManagedPolicyList, type ManagedPolicyListProps } from "./policy/managed-policy-list";
export { NewPolicy, PolicyEditor, type NewPolicyProps, type PolicyEditorProps } from "./policy/policy-editor";
export {
  BASIS_CHOICES,
  DEFAULT_THRESHOLDS,
  accountStatus,
  addDays,
  basisLabel,
  changeInWords,
  dayLabel,
  daysBetween,
  errorInWords,
  forecastMethodLabel,
  formatMicros,
  formatPercent,
  isoDay,
  layerLabel,
  layerMeaning,
  microsToUnits,
  monthLabel,
  noForecastReason,
  runState,
  thresholdText,
  type MoneyFormat,
} from "./cost/cost-words";
export {
  BUDGET_PAGE_SIZE,
  budgetKeys,
  budgetQueries,
  costKeys,
  costQueries,
  useCreateBudget,
  useDeleteBudget,
  useUpdateBudget,
  type BudgetListRequest,
  type BudgetSpecInit,
  type CostFilterInit,
  type CostReportRequest,
  type EstimateSiteRequest,
  type SiteCostsRequest,
} from "./cost/cost-queries";
export { EstimateSummary, SnapshotNote, type EstimateSummaryProps } from "./cost/estimate-summary";
export { MonthCost, type MonthCostProps } from "./cost/month-cost";
export { CostExport, costExportFileName, exportCosts, type CostExportProps } from "./cost/cost-export";
export { BudgetTable, BudgetUse, FiredThresholds, type BudgetTableProps } from "./cost/budget-table";
export {
  HEALTH_FILTERS,
  PLATFORM_FILTERS,
  causeLabel,
  checkTrigger,
  healthFromName,
  integrationHealth,
  platformFromName,
  platformLabel,
} from "./commerce/commerce-words";
export { HealthBadge } from "./commerce/health-badge";
export {
  HEALTH_HISTORY_PAGE_SIZE,
  INTEGRATION_PAGE_SIZE,
  integrationKeys,
  integrationQueries,
  type IntegrationListRequest,
  type IntegrationStatusRequest,
} from "./commerce/commerce-queries";
