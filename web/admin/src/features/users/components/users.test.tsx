import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, identity, tenancy } from "@canopy/sdk";
import { invalidArgument } from "@canopy/ui/testing";
import { ROLE } from "@canopy/ui";
import { CreateUserForm } from "./create-user-form";
import { UsersList } from "./users-list";

type Init = NonNullable<Parameters<typeof create<typeof identity.UserSchema>>[1]>;

const U = identity.UserStatus;
const user = (id: string, email: string, fields: Init = {}) =>
  create(identity.UserSchema, { id, email, displayName: email.split("@")[0], tenantId: "c-1", role: ROLE.member, status: U.ACTIVE, ...fields });

/** A users service holding `users`, changed by the calls the list makes. */
function fakeClient(users: identity.User[]) {
  const replace = (userId: string, change: Init) => {
    const i = users.findIndex((u) => u.id === userId);
    users[i] = create(identity.UserSchema, { ...users[i], ...change } as Init);
    return { user: users[i] };
  };
  const methods = {
    listUsers: vi.fn(async () => create(identity.ListUsersResponseSchema, { users: [...users], page: { totalSize: BigInt(users.length) } })),
    disableUser: vi.fn(async ({ userId }: { userId: string }) => replace(userId, { status: U.DISABLED })),
    enableUser: vi.fn(async ({ userId }: { userId: string }) => replace(userId, { status: U.ACTIVE })),
    updateUserRole: vi.fn(async ({ userId, role }: { userId: string; role: identity.User["role"] }) => replace(userId, { role })),
    unlockUser: vi.fn(async ({ userId }: { userId: string }) => replace(userId, { lockedUntilTime: undefined })),
    issuePasswordReset: vi.fn(async () => create(identity.IssuePasswordResetResponseSchema, { resetToken: "reset-tok", expireTime: { seconds: 2_000_000_000n } })),
  };
  const customers = {
    getCustomer: vi.fn(async ({ customerId }: { customerId: string }) => ({ customer: create(tenancy.CustomerSchema, { id: customerId, name: `Customer ${customerId}` }) })),
    listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" })] })),
  };
  return { methods, customers, client: { users: methods as unknown as CanopyClient["users"], customers: customers as unknown as CanopyClient["customers"] } };
}

function renderList(client: Pick<CanopyClient, "users" | "customers">, url = "/users", props: { canChange?: boolean; currentUserId?: string } = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        <UsersList client={client} canChange={props.canChange ?? true} currentUserId={props.currentUserId} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const page = { pageSize: 20, pageToken: "" };

describe("UsersList", () => {
  it("lists with the filters of the URL, and each filter changes the ListUsers request", async () => {
    const userE = userEvent.setup();
    const { client, methods } = fakeClient([user("u-1", "bob@acme.test")]);
    renderList(client, "/users?customer=c-1&role=owner");
    await screen.findByRole("table", { name: "Users" });
    expect(methods.listUsers).toHaveBeenLastCalledWith({ search: "", role: ROLE.owner, status: U.UNSPECIFIED, tenantId: "c-1", page });
    expect(screen.getByLabelText("Role")).toHaveValue("owner");

    await userE.selectOptions(screen.getByLabelText("Status"), "Disabled");
    await waitFor(() => expect(methods.listUsers).toHaveBeenLastCalledWith({ search: "", role: ROLE.owner, status: U.DISABLED, tenantId: "c-1", page }));
    await userE.type(screen.getByLabelText("Search users"), "bob");
    await userE.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(methods.listUsers).toHaveBeenLastCalledWith({ search: "bob", role: ROLE.owner, status: U.DISABLED, tenantId: "c-1", page }));
    await userE.selectOptions(screen.getByLabelText("Customer"), "");
    await waitFor(() => expect(methods.listUsers).toHaveBeenLastCalledWith({ search: "bob", role: ROLE.owner, status: U.DISABLED, tenantId: "", page }));
    await userE.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(methods.listUsers).toHaveBeenLastCalledWith({ search: "", role: 0, status: U.UNSPECIFIED, tenantId: "", page }));
  });

  it("names each user's customer with one GetCustomer per customer", async () => {
    const { client, customers } = fakeClient([
      user("u-1", "a@one.test", { tenantId: "c-1" }),
      user("u-2", "b@one.test", { tenantId: "c-1" }),
      user("u-3", "c@two.test", { tenantId: "c-2" }),
      user("u-4", "admin@canopy.test", { tenantId: "", role: ROLE.platformAdmin }),
    ]);
    renderList(client);
    const table = await screen.findByRole("table", { name: "Users" });
    expect(await within(table).findAllByRole("link", { name: "Customer c-1" })).toHaveLength(2);
    expect(within(table).getByRole("link", { name: "Customer c-2" })).toHaveAttribute("href", "/customers/c-2");
    expect(within(table).getByText("Platform")).toBeInTheDocument();
    expect(customers.getCustomer.mock.calls.map(([r]) => r.customerId).sort()).toEqual(["c-1", "c-2"]);
  });

  it("disables a user only after confirmation", async () => {
    const userE = userEvent.setup();
    const { client, methods } = fakeClient([user("u-1", "bob@acme.test")]);
    renderList(client);
    await userE.click(await screen.findByRole("button", { name: "Manage bob@acme.test" }));
    await userE.click(screen.getByRole("button", { name: "Disable" }));
    const dialog = screen.getByRole("alertdialog", { name: "Disable bob@acme.test?" });
    expect(methods.disableUser).not.toHaveBeenCalled();
    await userE.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(methods.disableUser).not.toHaveBeenCalled();

    await userE.click(screen.getByRole("button", { name: "Disable" }));
    await userE.click(screen.getByRole("button", { name: "Yes, disable bob@acme.test" }));
    await waitFor(() => expect(methods.disableUser).toHaveBeenCalledWith({ userId: "u-1" }));
    const row = screen.getByText("bob@acme.test").closest("tr")!;
    await waitFor(() => expect(within(row).getByText("Disabled")).toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Enable" })).toBeInTheDocument();
  });

  it("changes a role within the user's kind, after confirmation", async () => {
    const userE = userEvent.setup();
    const { client, methods } = fakeClient([user("u-1", "bob@acme.test")]);
    renderList(client);
    await userE.click(await screen.findByRole("button", { name: "Manage bob@acme.test" }));
    const role = screen.getByLabelText("Role of bob@acme.test");
    // A customer's user gets customer roles only.
    expect(within(role).getAllByRole("option").map((o) => o.textContent)).toEqual(["Owner", "Member", "Viewer"]);
    expect(screen.getByRole("button", { name: "Change role" })).toBeDisabled();
    await userE.selectOptions(role, "Viewer");
    await userE.click(screen.getByRole("button", { name: "Change role" }));
    expect(screen.getByRole("alertdialog", { name: "Change the role of bob@acme.test?" })).toHaveTextContent("becomes Viewer");
    await userE.click(screen.getByRole("button", { name: "Yes, change the role" }));
    await waitFor(() => expect(methods.updateUserRole).toHaveBeenCalledWith({ userId: "u-1", role: ROLE.viewer }));
    const row = screen.getByText("bob@acme.test").closest("tr")!;
    await waitFor(() => expect(within(row).getByText("Viewer")).toBeInTheDocument());
  });

  it("unlocks a locked user and shows a password reset once", async () => {
    const userE = userEvent.setup();
    const lockedUntil = BigInt(Math.floor(Date.now() / 1000) + 600);
    const { client, methods } = fakeClient([user("u-1", "bob@acme.test", { lockedUntilTime: { seconds: lockedUntil } })]);
    renderList(client);
    expect(await screen.findByText(/Locked until/)).toBeInTheDocument();
    await userE.click(screen.getByRole("button", { name: "Manage bob@acme.test" }));
    await userE.click(screen.getByRole("button", { name: "Unlock" }));
    await userE.click(screen.getByRole("button", { name: "Yes, unlock bob@acme.test" }));
    await waitFor(() => expect(methods.unlockUser).toHaveBeenCalledWith({ userId: "u-1" }));
    await waitFor(() => expect(screen.queryByText(/Locked until/)).not.toBeInTheDocument());

    await userE.click(screen.getByRole("button", { name: "Issue password reset" }));
    await userE.click(screen.getByRole("button", { name: "Yes, issue a reset link" }));
    const reset = await screen.findByRole("region", { name: "Password reset" });
    expect(methods.issuePasswordReset).toHaveBeenCalledWith({ userId: "u-1" });
    // A customer's user sets the password on the customer portal.
    expect(within(reset).getByText("/invitation#token=reset-tok")).toBeInTheDocument();
  });

  it("offers no actions to operators, nor on one's own account", async () => {
    const { client } = fakeClient([user("u-1", "bob@acme.test"), user("me", "me@canopy.test", { tenantId: "", role: ROLE.platformAdmin })]);
    renderList(client, "/users", { canChange: true, currentUserId: "me" });
    await screen.findByRole("button", { name: "Manage bob@acme.test" });
    expect(screen.queryByRole("button", { name: "Manage me@canopy.test" })).not.toBeInTheDocument();
    expect(screen.getByText("You")).toBeInTheDocument();
  });

  it("offers no actions to platform operators", async () => {
    const { client } = fakeClient([user("u-1", "bob@acme.test")]);
    renderList(client, "/users", { canChange: false });
    await screen.findByRole("table", { name: "Users" });
    expect(screen.queryByRole("button", { name: /Manage/ })).not.toBeInTheDocument();
  });
});

describe("CreateUserForm", () => {
  it("invites a platform user and shows the invitation link once", async () => {
    const userE = userEvent.setup();
    const createUser = vi.fn(async () =>
      create(identity.CreateUserResponseSchema, {
        user: user("u-9", "ops@canopy.test", { tenantId: "", role: ROLE.platformAdmin, status: U.INVITED }),
        invitationToken: "inv-tok",
        invitationExpireTime: { seconds: 2_000_000_000n },
      }),
    );
    render(
      <QueryClientProvider client={new QueryClient()}>
        <CreateUserForm client={{ users: { createUser } as unknown as CanopyClient["users"] }} />
      </QueryClientProvider>,
    );
    await userE.type(screen.getByLabelText("Email"), "ops@canopy.test");
    await userE.type(screen.getByLabelText("Name"), "Ops");
    await userE.selectOptions(screen.getByLabelText("Role"), "Platform admin");
    await userE.click(screen.getByRole("button", { name: "Invite user" }));
    const invitation = await screen.findByRole("region", { name: "Invitation" });
    expect(createUser).toHaveBeenCalledWith({ tenantId: "", email: "ops@canopy.test", displayName: "Ops", role: ROLE.platformAdmin });
    expect(within(invitation).getByText(`${window.location.origin}/set-password#token=inv-tok`)).toBeInTheDocument();
    await userE.click(within(invitation).getByRole("button", { name: "Copy link" }));
    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}/set-password#token=inv-tok`);
  });

  it("shows violations beside the fields", async () => {
    const userE = userEvent.setup();
    const createUser = vi.fn(async () => {
      throw invalidArgument([{ field: "email", description: "is not an email address" }]);
    });
    render(
      <QueryClientProvider client={new QueryClient()}>
        <CreateUserForm client={{ users: { createUser } as unknown as CanopyClient["users"] }} />
      </QueryClientProvider>,
    );
    await userE.type(screen.getByLabelText("Email"), "nope");
    await userE.type(screen.getByLabelText("Name"), "Ops");
    await userE.click(screen.getByRole("button", { name: "Invite user" }));
    await waitFor(() => expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Is not an email address"));
  });
});
