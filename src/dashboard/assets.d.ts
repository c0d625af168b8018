// The page files server.ts embeds with `with { type: "text" }` (so they ship inside the CLI bundle):
// typed as strings one by one, so no other .js/.html import is silently taken for text.
declare module "*/templates/dashboard/app.js" {
  const text: string;
  export default text;
}
declare module "*/templates/dashboard/index.html" {
  const text: string;
  export default text;
}
declare module "*/templates/dashboard/style.css" {
  const text: string;
  export default text;
}
declare module "*/templates/dashboard/favicon.svg" {
  const text: string;
  export default text;
}
