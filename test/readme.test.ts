/**
 * The README and docs/ stay usable: the README stays short enough to read, every relative link (and its #anchor)
 * leads somewhere, and every `npm run <script>` they tell a reader to type exists. Pure file checks: no server.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..');
const readmeLimitBytes = 12_000;

const documents = [
  'README.md',
  ...readdirSync(path.join(projectRoot, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

function read(document: string): string {
  return readFileSync(path.join(projectRoot, document), 'utf8');
}

/** The text outside fenced code blocks, line by line: a link inside code is an example, not a link. */
function proseLines(markdown: string): string[] {
  let inFence = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return false;
    }
    return !inFence;
  });
}

/** Anchors GitHub gives a document's headings: its slug rules, with `-1`, `-2` … for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '')
      .replace(/<[^>]+>/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  document: string;
  target: string;
}

/**
 * Inline links and images (their text may wrap across lines) and reference definitions, minus code spans;
 * external links are left out.
 */
function relativeLinks(document: string): Link[] {
  const prose = proseLines(read(document))
    .join('\n')
    .replace(/`[^`]*`/g, '');
  const targets = [
    ...[...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => match[1]!),
  ];
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target)).map((target) => ({ document, target }));
}

/** Why a link leads nowhere, or undefined when it resolves. */
function brokenBecause({ document, target }: Link): string | undefined {
  const [file = '', anchor] = target.split('#', 2);
  const resolved = file
    ? path.resolve(projectRoot, path.dirname(document), decodeURI(file))
    : path.join(projectRoot, document);
  if (!resolved.startsWith(projectRoot + path.sep)) return 'points outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) return 'an anchor on a file that has no headings';
  return headingAnchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))
    ? undefined
    : `no heading with the anchor #${anchor}`;
}

describe('the README and docs/', () => {
  it('keep the README under 12 KB', () => {
    expect(statSync(path.join(projectRoot, 'README.md')).size).toBeLessThan(readmeLimitBytes);
  });

  it('link only to files and headings that exist', () => {
    const links = documents.flatMap(relativeLinks);
    expect(links.length).toBeGreaterThan(documents.length);
    const broken = links.flatMap((link) => {
      const reason = brokenBecause(link);
      return reason ? [`${link.document}: ${link.target}: ${reason}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("quote the examples' files as they are: a block headed `// docs/examples/…` is that file, past its header", () => {
    const quotes = documents.flatMap((document) =>
      [...read(document).matchAll(/^```ts\n\/\/ (docs\/examples\/\S+)\n([\s\S]*?)^```$/gm)].map((match) => ({
        document,
        file: match[1]!,
        quoted: match[2]!,
      })),
    );
    expect(quotes.length).toBeGreaterThan(0);
    for (const { document, file, quoted } of quotes) {
      const text = read(file);
      expect({ document, file, quoted }).toEqual({ document, file, quoted: text.slice(text.indexOf('*/\n') + 3) });
    }
  });

  it('mention only npm scripts that package.json defines', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const names = Object.keys(scripts);
    const unknown = documents.flatMap((document) =>
      [...read(document).matchAll(/npm run (?:--silent )?([\w:.-]+)(<[\w-]+>)?/g)].flatMap((match) => {
        const [, name = '', placeholder] = match;
        // `npm run worker:<service>` stands for every script with that prefix.
        const exists = placeholder ? names.some((script) => script.startsWith(name)) : name in scripts;
        return exists ? [] : [`${document}: npm run ${name}${placeholder ?? ''}`];
      }),
    );
    expect(unknown).toEqual([]);
  });
});
