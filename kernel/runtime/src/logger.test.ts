import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
  return { logger, lines };
}

describe("logger", () => {
  it("logs a failed database statement without its values (SQL text, driver detail, quoted literals)", () => {
    const { logger, lines } = capture();
    class UniqueConstraintViolationException extends Error {
      code = "23505";
      routine = "_bt_check_unique";
      detail = "Key (email)=(secret@example.com) already exists.";
    }
    const err = new UniqueConstraintViolationException(
      `insert into "recipients" ("email", "name") values ('secret@example.com', 'Top Secret') - duplicate key value violates unique constraint "recipients_email_unique"\n - detail: Key (email)=(secret@example.com) already exists.`,
    );
    logger.error({ err }, "grpc call");
    const line = lines.join("");
    expect(line).not.toContain("secret@example.com");
    expect(line).not.toContain("Top Secret");
    expect(JSON.parse(line).err.message).toBe(
      'duplicate key value violates unique constraint "recipients_email_unique"',
    );
  });

  it("keeps other errors as they are", () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error("plugin said 'hello' - twice") }, "failed");
    expect(JSON.parse(lines.join("")).err.message).toBe("plugin said 'hello' - twice");
  });
});
