// OpenSpec change directories: file selection and order, tasks, delta requirements and
// scenarios, each with its relative file and line.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openSpecFiles, parseOpenSpec } from "../../src/spec/openspec.ts";
import { fixture, specErrorOf } from "../helpers/spec-fixture.ts";

const CHANGE = "openspec/add-two-factor-auth";
const LISTING = [
  "specs/notifications/spec.md",
  "tasks.md",
  "README.txt",
  "./proposal.md",
  "specs/auth/spec.md",
  "design.md",
  "specs/auth/notes.md",
];

function change(paths = openSpecFiles(LISTING)) {
  return paths.map((path) => ({ path, text: fixture(join(CHANGE, path)) }));
}

describe("openSpecFiles", () => {
  test.each([
    [LISTING, ["proposal.md", "design.md", "tasks.md", "specs/auth/spec.md", "specs/notifications/spec.md"]],
    [
      ["specs\\b\\spec.md", "tasks.md", "specs\\a\\spec.md"],
      ["tasks.md", "specs/a/spec.md", "specs/b/spec.md"],
    ],
    [
      ["specs/Z/spec.md", "specs/a/spec.md", "specs/a/b/spec.md"],
      ["specs/Z/spec.md", "specs/a/b/spec.md", "specs/a/spec.md"],
    ],
    [["spec.md", "specs/spec.md", "other/proposal.md"], []],
  ])("%j → %j", (listing, expected) => {
    expect(openSpecFiles(listing)).toEqual(expected);
  });
});

describe("parseOpenSpec", () => {
  const spec = parseOpenSpec(change());

  test("tasks, requirements and scenarios with file, line, section and group", () => {
    expect(spec.items.map((i) => [i.file, i.line, i.kind, i.section, i.group, i.text])).toEqual([
      ["tasks.md", 2, "task", "1. Implementation", undefined, "Add the otp_secret column"],
      ["tasks.md", 3, "task", "1. Implementation", undefined, "Implement the /login/otp endpoint with rate limiting"],
      ["tasks.md", 5, "task", "1. Implementation", undefined, "Send the enable notification"],
      ["tasks.md", 8, "task", "2. Tests", undefined, "Cover OTP success and failure"],
      [
        "specs/auth/spec.md",
        3,
        "requirement",
        "auth",
        undefined,
        "Requirement: Two-Factor Authentication — Users with 2FA enabled SHALL enter a one-time code after their password",
      ],
      [
        "specs/auth/spec.md",
        6,
        "scenario",
        "auth",
        "Two-Factor Authentication",
        "Scenario: OTP required — WHEN valid credentials are provided; THEN an OTP challenge is shown; AND no session is created yet",
      ],
      [
        "specs/auth/spec.md",
        11,
        "scenario",
        "auth",
        "Two-Factor Authentication",
        "Scenario: Wrong code — WHEN an invalid code is entered; THEN login fails",
      ],
      [
        "specs/auth/spec.md",
        17,
        "requirement",
        "auth",
        undefined,
        "Requirement: Session Lifetime — Sessions MUST be revoked when 2FA is enabled",
      ],
      ["specs/auth/spec.md", 22, "requirement", "auth", undefined, "Remove requirement: Security Questions"],
      ["specs/auth/spec.md", 31, "requirement", "auth", undefined, "Rename requirement: Login → Password Login"],
      [
        "specs/notifications/spec.md",
        3,
        "requirement",
        "notifications",
        undefined,
        "Requirement: Enable Notice — An email is sent when 2FA is enabled",
      ],
      [
        "specs/notifications/spec.md",
        6,
        "scenario",
        "notifications",
        "Enable Notice",
        "Scenario: Notice sent — WHEN a user enables 2FA; THEN they receive an email",
      ],
    ]);
  });

  test("title from the proposal heading, summary from ## Why, a warning for a requirement without SHALL/MUST", () => {
    expect(spec.title).toBe("Change: Add two-factor authentication");
    expect(spec.summary).toBe("Accounts are taken over with leaked passwords. A second factor stops that.");
    expect(spec.warnings).toEqual(['specs/notifications/spec.md:3: requirement "Enable Notice" has no SHALL or MUST statement']);
    expect(spec.text).toContain("TOTP per RFC 6238");
    expect(spec.text).not.toContain("generateSecret");
  });

  test("input order does not matter; files outside the change are ignored", () => {
    const shuffled = [...change()].reverse().concat({ path: "README.txt", text: "- [ ] not a task" });
    expect(parseOpenSpec(shuffled).items).toEqual(spec.items);
  });

  test("without a proposal heading the change name titles it", () => {
    const files = [{ path: "tasks.md", text: "- [ ] 1.1 Do it\n" }];
    expect(parseOpenSpec(files, "add-x").title).toBe("Change: add-x");
    expect(parseOpenSpec(files).items).toEqual([{ text: "Do it", kind: "task", file: "tasks.md", line: 1 }]);
  });

  test("a change with no tasks and no requirements is a spec error", () => {
    const error = specErrorOf(() => parseOpenSpec([{ path: "proposal.md", text: "# Change: nothing\n\n## Why\nBecause.\n" }]));
    expect(error.message).toBe("no acceptance items found in the OpenSpec change");
    expect(error.hint).toContain("## ADDED Requirements");
  });
});
