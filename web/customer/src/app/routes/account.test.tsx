import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, identity } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { AccountRoute } from "./account";

function renderAccount(role: Role) {
  const listApiKeys = vi.fn(async () => create(identity.ListApiKeysResponseSchema, { apiKeys: [{ id: "k-1", name: "CI deploys", prefix: "cnp_1", role: ROLE.member }] }));
  const client = {
    auth: { getCurrentUser: vi.fn(async () => create(identity.GetCurrentUserResponseSchema, { user: { id: "u-1", email: "ann@example.com", tenantId: "t-1", role } })) },
    apiKeys: { listApiKeys },
  } as unknown as CanopyClient;
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <CanopyContext.Provider value={{ client, session: new SessionStore("test", window.sessionStorage) }}>
        <AccountRoute />
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return listApiKeys;
}

describe("the account page's API keys", () => {
  it("lets an owner manage the tenant's keys", async () => {
    const listApiKeys = renderAccount(ROLE.owner);
    expect(await screen.findByRole("table", { name: "API keys" })).toHaveTextContent("CI deploys");
    expect(listApiKeys).toHaveBeenCalled();
    expect(within(screen.getByRole("form", { name: "Create API key" })).getByLabelText("Role")).toHaveDisplayValue("Viewer");
  });

  it("tells members and viewers that only owners can, without asking identity (which would refuse)", async () => {
    const listApiKeys = renderAccount(ROLE.member);
    expect(await screen.findByText(/Only the account's owners can see and create API keys/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Create API key" })).not.toBeInTheDocument();
    expect(listApiKeys).not.toHaveBeenCalled();
  });
});
