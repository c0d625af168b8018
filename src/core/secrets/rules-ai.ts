// Secret rules, part 3 of 6: AI model providers. Each format is the provider's documented key shape,
// with its own true/false samples; the `sk-` families are ordered most specific first.
import { fake, lazySamples, type SecretRule } from "./rule.ts";

export const AI_RULES: readonly SecretRule[] = [
  {
    id: "anthropic-api-key",
    title: "Anthropic API key",
    severity: "high",
    regex: /\b(?<secret>sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{80,120})(?![A-Za-z0-9_-])/,
    keywords: ["sk-ant-"],
    entropy: 3.5,
    samples: lazySamples(() => ({
      tp: [`ANTHROPIC_API_KEY=${fake("sk-ant-api03-", 93, "base64url")}AA`, `x-api-key: ${fake("sk-ant-admin01-", 93, "base64url")}AA`],
      fp: ["ANTHROPIC_API_KEY=sk-ant-api03-...", "keys look like sk-ant-api03-xxxxxxxx"],
    })),
  },
  {
    id: "openai-project-key",
    title: "OpenAI project, service-account or admin key",
    severity: "high",
    regex: /\b(?<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250})(?![A-Za-z0-9_-])/,
    keywords: ["sk-proj-", "sk-svcacct-", "sk-admin-"],
    entropy: 3.5,
    samples: lazySamples(() => ({
      tp: [`OPENAI_API_KEY="${fake("sk-proj-", 74, "base64url")}T3BlbkFJ${fake("", 74, "base64url")}"`],
      fp: ['OPENAI_API_KEY="sk-proj-..."'],
    })),
  },
  {
    id: "openai-legacy-key",
    title: "OpenAI API key",
    severity: "high",
    regex: /\b(?<secret>sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/,
    keywords: ["sk-"],
    entropy: 3.5,
    samples: lazySamples(() => ({
      tp: [`openai.api_key = '${fake("sk-", 20)}T3BlbkFJ${fake("", 20)}'`],
      fp: ["const disk-usage = 1", `sk-${"0".repeat(48)}`],
    })),
  },
  {
    id: "huggingface-token",
    title: "Hugging Face access or organization token",
    severity: "high",
    regex: /\b(?<secret>(?:hf|api_org)_[A-Za-z]{34})\b/,
    keywords: ["hf_", "api_org_"],
    entropy: 3.5,
    samples: lazySamples(() => ({
      tp: [`HF_TOKEN = "${fake("hf_", 34, "letters")}"`, `from_pretrained("acme/private", token="${fake("api_org_", 34, "letters")}")`],
      fp: ["from huggingface_hub import hf_hub_download", "hf_token = os.environ['HF_TOKEN']"],
    })),
  },
  {
    id: "groq-api-key",
    title: "Groq API key",
    severity: "high",
    regex: /\b(?<secret>gsk_[A-Za-z0-9]{52})\b/,
    keywords: ["gsk_"],
    entropy: 3.5,
    samples: lazySamples(() => ({ tp: [`GROQ_API_KEY=${fake("gsk_", 52)}`], fp: ["gsk_<key>"] })),
  },
  {
    id: "perplexity-api-key",
    title: "Perplexity API key",
    severity: "high",
    regex: /\b(?<secret>pplx-[A-Za-z0-9]{48})\b/,
    keywords: ["pplx-"],
    entropy: 3.5,
    samples: lazySamples(() => ({ tp: [`client = OpenAI(api_key="${fake("pplx-", 48)}")`], fp: ["pplx-<key>"] })),
  },
  {
    id: "langsmith-api-key",
    title: "LangSmith API key",
    severity: "high",
    regex: /\b(?<secret>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b/,
    keywords: ["lsv2_"],
    entropy: 3,
    samples: lazySamples(() => ({
      tp: [`LANGCHAIN_API_KEY=${fake("lsv2_pt_", 32, "hex")}_${fake("", 10, "hex")}`],
      fp: ["lsv2_pt_<key>"],
    })),
  },
  {
    id: "cohere-api-key",
    title: "Cohere API key",
    severity: "high",
    // Context rule: Cohere keys have no prefix; a mixed-case 40-character key on a line naming Cohere.
    regex: /(?<![A-Za-z0-9])(?<secret>(?=[a-z0-9]*[A-Z])(?=[A-Z0-9]*[a-z])(?=[A-Za-z]*\d)[A-Za-z0-9]{40})(?![A-Za-z0-9])/,
    keywords: ["cohere"],
    entropy: 3.5,
    samples: lazySamples(() => ({
      tp: [`co = cohere.Client("${fake("", 40)}")`],
      fp: [`# cohere ${"0a1b2c3d4e".repeat(4)}`, "co = cohere.Client(os.environ['CO_API_KEY'])"],
    })),
  },
];
