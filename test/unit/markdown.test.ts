/**
 * Text from outside the code, made inert for the Web UI's markdown (workflows/saga/markdown.ts), and tables laid
 * out in a fixed-width block (workflows/saga/text-table.ts).
 *
 * `escapeMarkdown` promises text on one line that renders as the characters it holds: every construct that can
 * open markdown or HTML (inline anywhere, block markers at the start of the line, GFM's bare autolinks) escaped with
 * CommonMark's backslash, and nothing else, so that ordinary text still reads plainly where it shows raw.
 */
import { escapeMarkdown } from '../../workflows/saga/markdown';
import { textTable } from '../../workflows/saga/text-table';

/** The text a CommonMark renderer shows for escaped text: a backslash before ASCII punctuation shows the latter. */
function shown(escaped: string): string {
  return escaped.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** Characters that open markdown or HTML anywhere in a line, left unescaped in `escaped`. */
function activeCharacters(escaped: string): string[] {
  return [...escaped.matchAll(/(?<!\\)(?:\\\\)*([*_`[\]<>&|~@])/g)].map((match) => match[1]!);
}

describe('escapeMarkdown', () => {
  it.each([
    ['emphasis', '*bold* and _italic_', '\\*bold\\* and \\_italic\\_'],
    ['strong emphasis', '**bold** __bold__', '\\*\\*bold\\*\\* \\_\\_bold\\_\\_'],
    ['strikethrough', '~~gone~~', '\\~\\~gone\\~\\~'],
    ['a code span', '`rm -rf /`', '\\`rm -rf /\\`'],
    ['a link', '[click me](https://evil.example)', '\\[click me\\](https\\://evil.example)'],
    ['an image', '![pixel](https://evil.example/p.png)', '!\\[pixel\\](https\\://evil.example/p.png)'],
    ['a link reference', '[a]: https://evil.example', '\\[a\\]: https\\://evil.example'],
    ['a footnote', 'see[^1]', 'see\\[^1\\]'],
    ['an HTML tag', '<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['an HTML comment', '<!-- hidden -->', '\\<!-- hidden --\\>'],
    ['an entity', '&lt;b&gt; &#x41;', '\\&lt;b\\&gt; \\&#x41;'],
    ['a table row', '| a | b |', '\\| a \\| b \\|'],
    ['an autolink', '<https://evil.example>', '\\<https\\://evil.example\\>'],
    ['a bare URL', 'https://evil.example/x', 'https\\://evil.example/x'],
    ['a bare www link', 'visit www.evil.example', 'visit www\\.evil.example'],
    ['a bare www link in capitals', 'WWW.EVIL.EXAMPLE', 'WWW\\.EVIL.EXAMPLE'],
    ['a bare e-mail address', 'write to me@evil.example', 'write to me\\@evil.example'],
    ['a backslash', 'C:\\Temp\\*', 'C:\\\\Temp\\\\\\*'],
    ['a heading', '# Refund everyone', '\\# Refund everyone'],
    ['a list item', '- free', '\\- free'],
    ['a list item with a plus', '+ free', '\\+ free'],
    ['a list item with a star', '* free', '\\* free'],
    ['an ordered list item', '1. free', '1\\. free'],
    ['an ordered list item with a parenthesis', '2) free', '2\\) free'],
    ['a task list item', '- [x] paid', '\\- \\[x\\] paid'],
    ['a blockquote', '> quoted', '\\> quoted'],
    ['a thematic break', '---', '\\---'],
    ['a setext underline', '===', '\\==='],
  ])('escapes %s', (_construct, text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });

  it('leaves ordinary text as typed, punctuation that opens nothing included', () => {
    for (const text of ['12 St. James Sq, London', "O'Brien (back door), flat #3!", 'Zürich 8001', '東京都 🚚']) {
      expect(escapeMarkdown(text)).toBe(text);
    }
  });

  it('puts text on one line, so that nothing in it starts a block after a line break', () => {
    expect(escapeMarkdown('Flat 2\r\n   Baker Street\n\n# London\r- now')).toBe('Flat 2 Baker Street # London - now');
  });

  it('trims the text, so that indentation cannot open a code block and trailing spaces no line break', () => {
    expect(escapeMarkdown('    indented code  ')).toBe('indented code');
    expect(escapeMarkdown('\t- item')).toBe('\\- item');
  });

  it('renders as the characters it holds: read as CommonMark reads escapes, it is the text on one line', () => {
    const hostile = [
      '**Free** _refund_ `now` ~~paid~~ [here](https://evil.example) ![x](y) <script>alert(1)</script>',
      '&amp; | a | b | C:\\path\\* www.evil.example me@evil.example',
      '# heading\n> quote\n1. item\n- item\n===\n---',
    ];
    for (const text of hostile) {
      const escaped = escapeMarkdown(text);
      expect(shown(escaped)).toBe(text.replace(/\s*[\r\n]+\s*/g, ' '));
      expect(activeCharacters(escaped)).toEqual([]);
    }
  });

  // GFM starts a www autolink after `_` too, which a regular expression's word boundary does not see.
  it('escapes a bare www link after an underscore, where GFM links it too', () => {
    expect(escapeMarkdown('_www.evil.example')).toBe('\\_www\\.evil.example');
  });
});

describe('textTable', () => {
  it('lays the rows out in a code block: the header, a rule, then each row, columns two spaces apart', () => {
    expect(
      textTable([
        ['step', 'status'],
        ['reserveStock', 'succeeded'],
        ['chargePayment', 'failed'],
      ]),
    ).toEqual([
      '```',
      'step           status',
      '-------------  ---------',
      'reserveStock   succeeded',
      'chargePayment  failed',
      '```',
    ]);
  });

  it('right-aligns the columns it is told to', () => {
    expect(
      textTable(
        [
          ['SKU', 'quantity'],
          ['SKU-1', '2'],
          ['SKU-22', '12'],
        ],
        [1],
      ),
    ).toEqual(['```', 'SKU     quantity', '------  --------', 'SKU-1          2', 'SKU-22        12', '```']);
  });

  it('widens a column to its widest cell, header or row, and the rule with it', () => {
    const lines = textTable([
      ['a', 'b'],
      ['x', 'a very long cell indeed'],
    ]);
    expect(lines[2]).toBe(`-  ${'-'.repeat('a very long cell indeed'.length)}`);
    expect(lines[3]).toBe('x  a very long cell indeed');
  });

  it('leaves a missing cell blank and no line with trailing spaces', () => {
    const lines = textTable([
      ['step', 'tries', 'undo'],
      ['createOrder', '1', 'undone'],
      ['reserveStock', '2'],
    ]);
    expect(lines[4]).toBe('reserveStock  2');
    expect(lines.filter((line) => line !== line.trimEnd())).toEqual([]);
  });
});
