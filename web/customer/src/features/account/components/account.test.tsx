import type { ReactElement, ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render as renderElement, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, create, identity } from "@canopy/sdk";
import { canopyError, invalidArgument } from "@canopy/ui/testing";
import { ChangePasswordForm } from "./change-password-form";
import { MfaCard, type MfaCardProps } from "./mfa-card";

/** The MFA mutations refresh the signed-in user in the query cache. */
function render(ui: ReactElement) {
  const queryClient = new QueryClient();
  return renderElement(ui, { wrapper: ({ children }: { children: ReactNode }) => <QueryClientProvider client={queryClient}>{children}</QueryClientProvider> });
}

type Auth = MfaCardProps["client"]["auth"];
const fakeAuth = (overrides: Partial<Record<keyof Auth, unknown>>) => ({ auth: overrides as unknown as Auth });

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const URI = `otpauth://totp/Canopy:ann%40example.com?secret=${SECRET}&issuer=Canopy&algorithm=SHA1&digits=6&period=30`;
const CODES = Array.from({ length: 10 }, (_, i) => `abcd-efg${i}`);

describe("ChangePasswordForm", () => {
  it("sends the current and the new password and says it worked", async () => {
    const user = userEvent.setup();
    const changePassword = vi.fn(async () => create(identity.ChangePasswordResponseSchema, {}));
    render(<ChangePasswordForm client={fakeAuth({ changePassword })} />);
    await user.type(screen.getByLabelText("Current password"), "old-pass-phrase");
    await user.type(screen.getByLabelText("New password"), "vivid-otter-lantern-93");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Your password was changed.")).toBeInTheDocument();
    expect(changePassword).toHaveBeenCalledWith({ currentPassword: "old-pass-phrase", newPassword: "vivid-otter-lantern-93" });
    expect(screen.getByLabelText("New password")).toHaveValue("");
  });

  it("shows the password policy's violation beside the new password", async () => {
    const user = userEvent.setup();
    const changePassword = vi.fn(async () => {
      throw invalidArgument([{ field: "new_password", description: "is too common" }]);
    });
    render(<ChangePasswordForm client={fakeAuth({ changePassword })} />);
    await user.type(screen.getByLabelText("Current password"), "old-pass-phrase");
    await user.type(screen.getByLabelText("New password"), "Password1234");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    const field = screen.getByLabelText("New password");
    await waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    expect(field).toHaveAccessibleDescription("Is too common");
    expect(screen.getByLabelText("Current password")).not.toHaveAttribute("aria-invalid");
  });

  it("shows a wrong current password beside that field", async () => {
    const user = userEvent.setup();
    const changePassword = vi.fn(async () => {
      throw canopyError(Code.PermissionDenied, "current password is incorrect");
    });
    render(<ChangePasswordForm client={fakeAuth({ changePassword })} />);
    await user.type(screen.getByLabelText("Current password"), "nope");
    await user.type(screen.getByLabelText("New password"), "vivid-otter-lantern-93");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(screen.getByLabelText("Current password")).toHaveAccessibleDescription("The current password is incorrect."));
  });
});

describe("MfaCard", () => {
  it("sets up MFA: QR code and secret, a first code, then the ten recovery codes once", async () => {
    const user = userEvent.setup();
    const beginMfaSetup = vi.fn(async () => create(identity.BeginMfaSetupResponseSchema, { otpauthUri: URI, secretBase32: SECRET }));
    const confirmMfaSetup = vi.fn(async () => create(identity.ConfirmMfaSetupResponseSchema, { recoveryCodes: CODES }));
    const onChanged = vi.fn();
    render(<MfaCard client={fakeAuth({ beginMfaSetup, confirmMfaSetup })} mfaEnabled={false} onChanged={onChanged} />);
    expect(screen.getByText("Off")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Set up two-factor authentication" }));

    const qr = await screen.findByRole("img", { name: "QR code for your authenticator app" });
    expect(qr.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(screen.getByTestId("mfa-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    expect(screen.getByTestId("mfa-secret")).toHaveAttribute("data-secret", SECRET);

    await user.type(screen.getByLabelText("Authentication code"), "123 456");
    await user.click(screen.getByRole("button", { name: "Turn on two-factor authentication" }));
    const list = await screen.findByRole("list", { name: "Your recovery codes" });
    expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual(CODES);
    expect(confirmMfaSetup).toHaveBeenCalledWith({ totpCode: "123456" });
    expect(onChanged).toHaveBeenCalledOnce();

    // Shown once: dismissed, they are gone for good.
    await user.click(screen.getByRole("button", { name: "I have saved my recovery codes" }));
    expect(screen.queryByText(CODES[0]!)).not.toBeInTheDocument();
  });

  it("shows a wrong first code beside the code field and stays on the setup step", async () => {
    const user = userEvent.setup();
    const beginMfaSetup = vi.fn(async () => create(identity.BeginMfaSetupResponseSchema, { otpauthUri: URI, secretBase32: SECRET }));
    const confirmMfaSetup = vi.fn(async () => {
      throw invalidArgument([{ field: "totp_code", description: "is not the current code of the authenticator" }]);
    });
    render(<MfaCard client={fakeAuth({ beginMfaSetup, confirmMfaSetup })} mfaEnabled={false} onChanged={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Set up two-factor authentication" }));
    await user.type(await screen.findByLabelText("Authentication code"), "000000");
    await user.click(screen.getByRole("button", { name: "Turn on two-factor authentication" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Authentication code")).toHaveAccessibleDescription("Is not the current code of the authenticator"),
    );
    expect(screen.getByTestId("mfa-secret")).toBeInTheDocument();
  });

  it("turns MFA off with the password and a current code", async () => {
    const user = userEvent.setup();
    const disableMfa = vi.fn(async () => create(identity.DisableMfaResponseSchema, {}));
    const onChanged = vi.fn();
    render(<MfaCard client={fakeAuth({ disableMfa })} mfaEnabled onChanged={onChanged} />);
    expect(screen.getByText("On")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Turn off two-factor authentication" }));
    await user.type(screen.getByLabelText("Password"), "vivid-otter-lantern-93");
    await user.type(screen.getByLabelText("Authentication code"), "654321");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor authentication" }));
    expect(await screen.findByText("Two-factor authentication is off.")).toBeInTheDocument();
    expect(disableMfa).toHaveBeenCalledWith({ password: "vivid-otter-lantern-93", totpCode: "654321" });
    expect(onChanged).toHaveBeenCalledOnce();
  });

  it("says so when the password or code is refused", async () => {
    const user = userEvent.setup();
    const disableMfa = vi.fn(async () => {
      throw canopyError(Code.PermissionDenied, "password or code is incorrect");
    });
    render(<MfaCard client={fakeAuth({ disableMfa })} mfaEnabled onChanged={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Turn off two-factor authentication" }));
    await user.type(screen.getByLabelText("Password"), "x");
    await user.type(screen.getByLabelText("Authentication code"), "111111");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor authentication" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Password or code is incorrect.");
  });
});
