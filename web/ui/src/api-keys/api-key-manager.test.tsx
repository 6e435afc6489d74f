import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, create, identity } from "@canopy/sdk";
import { canopyError, invalidArgument } from "../testing";
import { ApiKeyManager, type ApiKeyManagerProps } from "./api-key-manager";
import { ROLE, grantableRoles } from "./roles";

type ApiKeys = ApiKeyManagerProps["client"]["apiKeys"];
const NOW = Math.floor(Date.now() / 1000);
const at = (secondsFromNow: number) => ({ seconds: BigInt(NOW + secondsFromNow) });

const ciKey = create(identity.ApiKeySchema, {
  id: "k-1",
  name: "CI deploys",
  prefix: "cnp_7Gh2kQ9x",
  role: ROLE.member,
  createTime: at(-3 * 86_400),
  lastUsedTime: at(-5 * 60),
});
const listOf = (...apiKeys: identity.ApiKey[]) => create(identity.ListApiKeysResponseSchema, { apiKeys, page: { totalSize: BigInt(apiKeys.length) } });

function renderManager(apiKeys: Partial<Record<keyof ApiKeys, unknown>>, props: Partial<ApiKeyManagerProps> = {}) {
  const client = { apiKeys: { listApiKeys: vi.fn(async () => listOf(ciKey)), ...apiKeys } as unknown as ApiKeys };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <ApiKeyManager client={client} grantableRoles={grantableRoles(ROLE.owner, true)} {...props} />
    </QueryClientProvider>,
  );
  return client.apiKeys as unknown as Record<keyof ApiKeys, ReturnType<typeof vi.fn>>;
}

describe("ApiKeyManager", () => {
  it("lists the keys with role, status and times in words", async () => {
    const api = renderManager({});
    const table = await screen.findByRole("table", { name: "API keys" });
    const row = within(table).getByText("CI deploys").closest("tr")!;
    expect(row).toHaveTextContent("cnp_7Gh2kQ9x");
    expect(row).toHaveTextContent("Member");
    expect(row).toHaveTextContent("Active");
    expect(row).toHaveTextContent("3 days ago");
    expect(row).toHaveTextContent("5 minutes ago");
    expect(row).toHaveTextContent("Never");
    expect(api.listApiKeys).toHaveBeenCalledWith({ tenantId: "", includeInactive: false, page: { pageSize: 20, pageToken: "" } });
  });

  it("asks for revoked and expired keys when the toggle is on", async () => {
    const user = userEvent.setup();
    const revoked = create(identity.ApiKeySchema, { id: "k-2", name: "Old laptop", prefix: "cnp_old", role: ROLE.viewer, revokeTime: at(-60) });
    const listApiKeys = vi.fn(async ({ includeInactive }: identity.ListApiKeysRequest) => (includeInactive ? listOf(ciKey, revoked) : listOf(ciKey)));
    renderManager({ listApiKeys }, { tenantId: "t-9" });
    await screen.findByText("CI deploys");
    expect(screen.queryByText("Old laptop")).not.toBeInTheDocument();
    await user.click(screen.getByLabelText("Show revoked and expired keys"));
    const row = (await screen.findByText("Old laptop")).closest("tr")!;
    expect(row).toHaveTextContent("Revoked");
    expect(within(row).queryByRole("button", { name: /Revoke/ })).not.toBeInTheDocument();
    expect(listApiKeys).toHaveBeenLastCalledWith({ tenantId: "t-9", includeInactive: true, page: { pageSize: 20, pageToken: "" } });
  });

  it("offers only the roles the caller may give, the weakest chosen first", async () => {
    renderManager({}, { grantableRoles: [ROLE.member, ROLE.viewer] });
    const role = screen.getByLabelText("Role");
    expect(within(role).getAllByRole("option").map((o) => o.textContent)).toEqual(["Member", "Viewer"]);
    expect(role).toHaveValue(String(ROLE.viewer));
  });

  it("shows the secret once after creating a key; closed, it is gone", async () => {
    const user = userEvent.setup();
    const createApiKey = vi.fn(async (_request: unknown) =>
      create(identity.CreateApiKeyResponseSchema, { apiKey: { id: "k-3", name: "Deploy bot", role: ROLE.member }, secret: "cnp_abcdefgh_secretsecretsecret" }),
    );
    const api = renderManager({ createApiKey });
    await user.type(screen.getByLabelText("Key name"), "Deploy bot");
    await user.selectOptions(screen.getByLabelText("Role"), "Member");
    await user.type(screen.getByLabelText("Expires on"), "2030-01-31");
    await user.click(screen.getByRole("button", { name: "Create API key" }));

    const shown = await screen.findByRole("region", { name: "New API key" });
    expect(within(shown).getByText(/you will not see it again/)).toBeInTheDocument();
    expect(within(shown).getByLabelText("Secret")).toHaveValue("cnp_abcdefgh_secretsecretsecret");
    const request = createApiKey.mock.calls[0]![0] as { tenantId: string; name: string; role: number; expireTime: { seconds: bigint } };
    expect(request).toMatchObject({ tenantId: "", name: "Deploy bot", role: ROLE.member });
    // The key works through the whole of 31 January: it expires when 1 February begins.
    expect(new Date(Number(request.expireTime.seconds) * 1000)).toEqual(new Date(2030, 1, 1));

    await user.click(within(shown).getByRole("button", { name: "Copy secret" }));
    expect(await navigator.clipboard.readText()).toBe("cnp_abcdefgh_secretsecretsecret");
    expect(within(shown).getByText("Secret copied.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "I have copied the secret" }));
    expect(screen.queryByRole("region", { name: "New API key" })).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue("cnp_abcdefgh_secretsecretsecret")).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent("secretsecret");
    // The list is asked again, so the new key shows up.
    await waitFor(() => expect(api.listApiKeys).toHaveBeenCalledTimes(2));
  });

  it("shows the server's violations beside the fields", async () => {
    const user = userEvent.setup();
    const createApiKey = vi.fn(async () => {
      throw invalidArgument([
        { field: "name", description: "must be 1 to 100 characters" },
        { field: "expire_time", description: "must be in the future" },
      ]);
    });
    renderManager({ createApiKey });
    await user.click(screen.getByRole("button", { name: "Create API key" }));
    const name = screen.getByLabelText("Key name");
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveAccessibleDescription("Must be 1 to 100 characters");
    expect(screen.getByLabelText("Expires on")).toHaveAccessibleDescription("Must be in the future");
    expect(screen.getByLabelText("Role")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByRole("region", { name: "New API key" })).not.toBeInTheDocument();
  });

  it("revokes a key only after the confirmation", async () => {
    const user = userEvent.setup();
    const revokeApiKey = vi.fn(async () => create(identity.RevokeApiKeyResponseSchema, {}));
    renderManager({ revokeApiKey });
    await user.click(await screen.findByRole("button", { name: "Revoke CI deploys" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke CI deploys?" });
    expect(revokeApiKey).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: "Keep the key" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(revokeApiKey).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Revoke CI deploys" }));
    await user.click(screen.getByRole("button", { name: "Yes, revoke CI deploys" }));
    expect(await screen.findByText(/“CI deploys” was revoked/)).toBeInTheDocument();
    expect(revokeApiKey).toHaveBeenCalledWith({ apiKeyId: "k-1" });
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });

  it("says why a revocation failed, in the confirmation", async () => {
    const user = userEvent.setup();
    const revokeApiKey = vi.fn(async () => {
      throw canopyError(Code.NotFound, "api key not found");
    });
    renderManager({ revokeApiKey });
    await user.click(await screen.findByRole("button", { name: "Revoke CI deploys" }));
    await user.click(screen.getByRole("button", { name: "Yes, revoke CI deploys" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke CI deploys?" });
    expect(await within(dialog).findByText("Api key not found.")).toBeInTheDocument();
  });

  it("explains that the caller cannot create keys", async () => {
    renderManager({}, { grantableRoles: [], cannotCreate: "Only owners create API keys." });
    expect(screen.getByText("Only owners create API keys.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create API key" })).not.toBeInTheDocument();
  });
});

describe("grantableRoles (identity's rules)", () => {
  it("offers customer roles for a tenant's key and platform roles for a platform key", () => {
    expect(grantableRoles(ROLE.owner, true)).toEqual([ROLE.owner, ROLE.member, ROLE.viewer]);
    expect(grantableRoles(ROLE.platformAdmin, true)).toEqual([ROLE.owner, ROLE.member, ROLE.viewer]);
    expect(grantableRoles(ROLE.platformAdmin, false)).toEqual([ROLE.platformAdmin, ROLE.platformOperator]);
  });

  it("offers nothing to callers who may not create keys", () => {
    expect(grantableRoles(ROLE.member, true)).toEqual([]);
    expect(grantableRoles(ROLE.viewer, true)).toEqual([]);
    expect(grantableRoles(ROLE.platformOperator, true)).toEqual([]);
    expect(grantableRoles(ROLE.owner, false)).toEqual([]);
  });

  it("reads the role numbers from the contract", () => {
    expect(Object.values(ROLE)).toEqual([1, 2, 3, 4, 5]);
  });
});
