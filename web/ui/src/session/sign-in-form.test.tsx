import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Code, create, identity } from "@canopy/sdk";
import { canopyError } from "../testing";
import { SignInForm, type SignInFormProps } from "./sign-in-form";

type Auth = SignInFormProps["client"]["auth"];
const SESSION = { accessToken: "access", refreshToken: "refresh" };

function renderForm(completeMfaLogin: (...args: never[]) => unknown) {
  const login = vi.fn(async () => create(identity.LoginResponseSchema, { result: { case: "mfaChallenge", value: { challengeToken: "challenge-1" } } }));
  const onSignedIn = vi.fn();
  render(<SignInForm client={{ auth: { login, completeMfaLogin } as unknown as Auth }} onSignedIn={onSignedIn} />);
  return { login, onSignedIn };
}

async function passwordStep(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText("Email"), "ann@example.com");
  await user.type(screen.getByLabelText("Password"), "vivid-otter-lantern-93");
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  await screen.findByLabelText("Authentication code");
}

describe("SignInForm, the MFA step", () => {
  it("signs in with a recovery code instead of the authenticator code", async () => {
    const user = userEvent.setup();
    const completeMfaLogin = vi.fn(async () => create(identity.CompleteMfaLoginResponseSchema, { session: SESSION }));
    const { onSignedIn } = renderForm(completeMfaLogin);
    await passwordStep(user);

    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    expect(screen.queryByLabelText("Authentication code")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Recovery code"), " abcd-efgh ");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(SESSION));
    expect(completeMfaLogin).toHaveBeenCalledWith({ challengeToken: "challenge-1", recoveryCode: "abcd-efgh" });
  });

  it("switches back to the authenticator code, which is sent as totp_code", async () => {
    const user = userEvent.setup();
    const completeMfaLogin = vi.fn(async () => create(identity.CompleteMfaLoginResponseSchema, { session: SESSION }));
    renderForm(completeMfaLogin);
    await passwordStep(user);
    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    await user.click(screen.getByRole("button", { name: "Use the authenticator app instead" }));
    expect(screen.queryByLabelText("Recovery code")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Authentication code"), "123 456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(completeMfaLogin).toHaveBeenCalledWith({ challengeToken: "challenge-1", totpCode: "123456" }));
  });

  it("shows the server's words for a used or wrong code and asks for the password again (the challenge is spent)", async () => {
    const user = userEvent.setup();
    const completeMfaLogin = vi.fn(async () => {
      throw canopyError(Code.Unauthenticated, "invalid or expired challenge or code");
    });
    const { login, onSignedIn } = renderForm(completeMfaLogin);
    await passwordStep(user);
    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    await user.type(screen.getByLabelText("Recovery code"), "used-code");
    await user.click(screen.getByRole("button", { name: "Verify" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid or expired challenge or code. Sign in again to try another code.");
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Email")).toHaveValue("ann@example.com");
    // Signing in again comes back to the recovery code.
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByLabelText("Recovery code")).toHaveValue("");
    expect(login).toHaveBeenCalledTimes(2);
  });

  it("keeps the code step when the server only asks for a code", async () => {
    const user = userEvent.setup();
    const completeMfaLogin = vi.fn(async () => {
      throw canopyError(Code.ResourceExhausted, "too many sign-in attempts");
    });
    renderForm(completeMfaLogin);
    await passwordStep(user);
    await user.type(screen.getByLabelText("Authentication code"), "000000");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many sign-in attempts.");
    expect(screen.getByLabelText("Authentication code")).toBeInTheDocument();
  });
});
