// The starter PRDs `loki init` offers, embedded in the binary as text. Their order here is the order
// `loki init --list` shows them in (categories by first appearance); this file only lists them.
import cliTool from "../../templates/cli-tool.md" with { type: "text" };
import csvReport from "../../templates/csv-report.md" with { type: "text" };
import dataPipeline from "../../templates/data-pipeline.md" with { type: "text" };
import expenseSplitter from "../../templates/expense-splitter.md" with { type: "text" };
import featureFlagsApi from "../../templates/feature-flags-api.md" with { type: "text" };
import fullstackCompose from "../../templates/fullstack-compose.md" with { type: "text" };
import gitHookRunner from "../../templates/git-hook-runner.md" with { type: "text" };
import habitTrackerPwa from "../../templates/habit-tracker-pwa.md" with { type: "text" };
import kanbanBoard from "../../templates/kanban-board.md" with { type: "text" };
import landingPage from "../../templates/landing-page.md" with { type: "text" };
import library from "../../templates/library.md" with { type: "text" };
import lintPlugin from "../../templates/lint-plugin.md" with { type: "text" };
import logQuery from "../../templates/log-query.md" with { type: "text" };
import rateLimiter from "../../templates/rate-limiter.md" with { type: "text" };
import realtimeChat from "../../templates/realtime-chat.md" with { type: "text" };
import restApiAuth from "../../templates/rest-api-auth.md" with { type: "text" };
import standupBot from "../../templates/standup-bot.md" with { type: "text" };
import staticBlog from "../../templates/static-blog.md" with { type: "text" };
import tabSaverExtension from "../../templates/tab-saver-extension.md" with { type: "text" };
import textClassifier from "../../templates/text-classifier.md" with { type: "text" };
import tilePuzzleGame from "../../templates/tile-puzzle-game.md" with { type: "text" };
import todoApp from "../../templates/todo-app.md" with { type: "text" };
import urlShortener from "../../templates/url-shortener.md" with { type: "text" };

export const TEMPLATE_SOURCES: readonly string[] = [
  // web, static-site, pwa, fullstack
  todoApp,
  kanbanBoard,
  expenseSplitter,
  landingPage,
  staticBlog,
  habitTrackerPwa,
  fullstackCompose,
  realtimeChat,
  // api, cli, library, devtool
  restApiAuth,
  urlShortener,
  featureFlagsApi,
  cliTool,
  logQuery,
  library,
  rateLimiter,
  gitHookRunner,
  lintPlugin,
  // data, ml, extension, bot, game
  dataPipeline,
  csvReport,
  textClassifier,
  tabSaverExtension,
  standupBot,
  tilePuzzleGame,
];
