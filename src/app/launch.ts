// From a detection to a running app: a process (override, framework), loki's own static server, or
// a container stack (compose, Dockerfile) under a project name loki owns for this repository.
import type { AppDetection } from "../core/app-schema.ts";
import { sha256 } from "../core/hash.ts";
import type { AppEnv, LaunchContext, Launched } from "./launcher.ts";
import { detectCompose } from "./compose-file.ts";
import { launchProcess } from "./process.ts";
import { snapshotTree } from "./snapshot.ts";
import { launchStatic } from "./static.ts";

/** The compose project / container name loki owns for the repository at `root` (stable across runs). */
export function projectName(root: string): string {
  return `loki-${sha256(root).slice(0, 12)}`;
}

/** What runs, for people: the argv, or the engine and the primary service. */
export function describe(detection: AppDetection): string {
  if (detection.kind === "compose") return `compose up (${detection.compose?.primary ?? "?"}) from ${detection.compose?.file ?? "?"}`;
  if (detection.kind === "dockerfile") return "build and run the Dockerfile";
  if (detection.kind === "static") return `serve ${detection.cwd}/ (loki's static server)`;
  return (detection.command ?? []).join(" ");
}

export class LaunchError extends Error {}

export async function launch(detection: AppDetection, ctx: LaunchContext): Promise<{ launched: Launched; project: string | null }> {
  switch (detection.kind) {
    case "override":
    case "framework":
      if (!detection.command) throw new LaunchError(`the ${detection.framework ?? detection.kind} rule gave no command`);
      return {
        launched: launchProcess(ctx, { command: detection.command, cwd: detection.cwd, fixedPort: detection.fixed_port }),
        project: null,
      };
    case "static":
      return { launched: launchStatic(ctx, detection.cwd), project: null };
    case "compose":
    case "dockerfile": {
      // Loaded only for container projects: a process or a static site starts without them.
      // (Each engine call puts the system directories on PATH itself: container-runtime.ts withSystemPath.)
      const { composeEngine, containerRuntime, NO_COMPOSE_ENGINE } = await import("./compose-engine.ts");
      const project = projectName(ctx.root);
      // The stack runs from loki's private copy of the tree: the agent, at work meanwhile, cannot change
      // the compose file or a build context between loki's check and the engine's read, and neither a
      // bind mount of "." nor a build context holds .loki/, .git/ or the spec.
      const copy = await snapshotTree(ctx.root).catch((error: unknown) => {
        throw new LaunchError(`the tree could not be copied to run: ${error instanceof Error ? error.message : String(error)}`);
      });
      ctx.log(`loki: running from a copy of the tree (${copy.files} files) in ${copy.dir}\n`);
      const inCopy = { ...ctx, root: copy.dir };
      if (detection.kind === "dockerfile") {
        // A Dockerfile needs only the runtime, not compose.
        const runtime = await containerRuntime(ctx.env);
        if (!runtime) throw new LaunchError("no container runtime: install docker or podman to run this Dockerfile");
        const { launchDockerfile } = await import("./dockerfile.ts");
        return { launched: await launchDockerfile(inCopy, runtime, `localhost/${project}:preview`, project), project };
      }
      const engine = await composeEngine(ctx.env);
      if (!engine) throw new LaunchError(NO_COMPOSE_ENGINE);
      // Checked again on the copy: that is what the engine reads.
      const checked = detectCompose(copy.dir, ctx.env);
      if (checked === null) throw new LaunchError("the compose file is not in the tree's copy (is it ignored by git?)");
      if ("problem" in checked) throw new LaunchError(checked.problem);
      const { launchCompose } = await import("./compose.ts");
      return { launched: await launchCompose(inCopy, checked.choice, engine, project), project };
    }
    case "none":
      throw new LaunchError(detection.reason);
  }
}

/**
 * Removes what a supervisor killed outright left of a container project: the compose stack's
 * containers and networks (by project label) and a Dockerfile's container (by name).
 */
export async function removeProject(root: string, project: string, env: AppEnv): Promise<void> {
  const { containerRuntime } = await import("./compose-engine.ts");
  const { removeContainers, removeLabelled, containersLabelled, withSystemPath } = await import("./container-runtime.ts");
  const { projectLabel } = await import("./compose.ts");
  const engineEnv = withSystemPath(env);
  const bin = await containerRuntime(engineEnv);
  if (!bin) return;
  const rt = { bin, env: engineEnv, cwd: root, log: () => {} };
  await removeLabelled(rt, projectLabel(project));
  const named = await containersLabelled(rt, `loki.preview=${project}`);
  await removeContainers(rt, named);
}
