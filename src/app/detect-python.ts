// The Python rules: Django, Flask, FastAPI (uvicorn) and a plain standard-library server, each run on
// loki's port and bound to 127.0.0.1, with the project's virtualenv interpreter when it has one.
import { PORT_TOKEN } from "../core/app-schema.ts";
import { found, isFile, LOCALHOST, literalPort, missed, type Rule, readText, type Tree } from "./detect-other.ts";

/** The interpreter: the project's own virtualenv when there is one, else python3 from PATH. */
function python(tree: Tree): string {
  return [".venv/bin/python", "venv/bin/python"].find((p) => isFile(tree, p)) ?? "python3";
}

/** `a/b.py` → `a.b`; `a/__init__.py` → `a`. */
function moduleOf(file: string): string {
  return file.replace(/(\/__init__)?\.py$/, "").replaceAll("/", ".");
}

/** The first of `files` whose text matches `pattern`, with the match. */
function firstWith(tree: Tree, files: string[], pattern: RegExp): { file: string; match: RegExpExecArray } | null {
  for (const file of files) {
    const match = pattern.exec(readText(tree, file) ?? "");
    if (match) return { file, match };
  }
  return null;
}

const django: Rule = {
  rule: "django",
  run(tree) {
    if (!isFile(tree, "manage.py")) return missed("no manage.py");
    return found(
      "django",
      [python(tree), "manage.py", "runserver", `${LOCALHOST}:${PORT_TOKEN}`, "--noreload"],
      "manage.py is Django's: runserver on loki's port, without the autoreloader so loki supervises one process",
    );
  },
};

const FLASK_FILES = ["app.py", "wsgi.py", "main.py", "server.py", "application.py", "app/__init__.py"];

const flask: Rule = {
  rule: "flask",
  run(tree) {
    const hit = firstWith(tree, FLASK_FILES, /^(\w+)\s*=\s*Flask\(|^def (create_app)\(/m);
    if (!hit) return missed(`none of ${FLASK_FILES.join(", ")} creates a Flask(...) app`);
    const module = moduleOf(hit.file);
    const name = hit.match[1];
    // flask finds `app`, `application` and create_app by itself; any other name must be spelled out.
    const target = name && name !== "app" && name !== "application" ? `${module}:${name}` : module;
    return found(
      "flask",
      [python(tree), "-m", "flask", "--app", target, "run", "--port", PORT_TOKEN, "--host", LOCALHOST],
      `${hit.file} creates a Flask app: flask run on loki's port, bound to 127.0.0.1`,
    );
  },
};

const FASTAPI_FILES = ["main.py", "app.py", "server.py", "api.py", "app/main.py", "src/main.py"];

const fastapi: Rule = {
  rule: "fastapi",
  run(tree) {
    const hit = firstWith(tree, FASTAPI_FILES, /^(\w+)\s*=\s*FastAPI\(/m);
    if (!hit) return missed(`none of ${FASTAPI_FILES.join(", ")} creates a FastAPI(...) app`);
    const target = `${moduleOf(hit.file)}:${hit.match[1]}`;
    return found(
      "fastapi",
      [python(tree), "-m", "uvicorn", target, "--port", PORT_TOKEN, "--host", LOCALHOST],
      `${hit.file} creates a FastAPI app: uvicorn ${target} on loki's port, bound to 127.0.0.1`,
    );
  },
};

const PLAIN_FILES = ["main.py", "server.py", "app.py"];

const plain: Rule = {
  rule: "python",
  weak: true,
  run(tree) {
    const hit = firstWith(tree, PLAIN_FILES, /^\s*(?:from|import)\s+(?:http\.server|socketserver)\b/m);
    if (!hit) return missed(`none of ${PLAIN_FILES.join(", ")} imports http.server or socketserver`);
    const port = literalPort(readText(tree, hit.file) ?? "", /\(\s*["'][^"']*["']\s*,\s*(\d{2,5})\s*\)/, /PORT/);
    const argv = [python(tree), hit.file];
    return found("python", argv, `${hit.file} serves with the standard library (http.server/socketserver): ${argv.join(" ")}`, port);
  },
};

export const PYTHON_RULES: Rule[] = [django, flask, fastapi, plain];
