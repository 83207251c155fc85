// A small strict XML reader for nuspecs: saxes (well-formedness, no DTD entity expansion) plus the
// guards from ../../../../shared/notes/dependencies.md section 5: no DOCTYPE at all, a size cap and a
// depth cap (saxes with namespaces is quadratic in depth, so a deep document must stop early).
import { SaxesParser } from 'saxes';
import { invalidInput, isNuggetError } from '../../errors.ts';

export interface XmlElement {
  /** Local name: prefixes and namespaces are ignored so every nuspec schema version reads alike. */
  readonly local: string;
  /** The element's namespace URI ('' for none). */
  readonly uri: string;
  /** The default namespace in scope at this element (what an unprefixed child would be in). */
  readonly defaultNamespace: string;
  /** Unprefixed attributes by name, as .NET's XElement.Attribute(name) finds them. */
  readonly attributes: ReadonlyMap<string, string>;
  /** Child elements and text, in document order. */
  readonly content: readonly (XmlElement | string)[];
}

export interface XmlLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  /** Names the document in messages, e.g. 'nuspec'. */
  readonly what: string;
  /** Prefix of every error code, e.g. 'nuspec' gives 'nuspec_doctype'. */
  readonly codePrefix: string;
}

interface MutableElement {
  local: string;
  uri: string;
  defaultNamespace: string;
  attributes: Map<string, string>;
  content: (MutableElement | string)[];
}

/** Decodes bytes as NuGet's XmlReader would: UTF-8 unless a UTF-16 byte order mark says otherwise. */
function decode(bytes: Uint8Array, limits: XmlLimits): string {
  let encoding = 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  try {
    // TextDecoder drops the byte order mark itself (ignoreBOM defaults to false).
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch (error) {
    throw invalidInput(
      `${limits.codePrefix}_invalid_encoding`,
      `the ${limits.what} is not valid ${encoding.toUpperCase()} text; save it as UTF-8`,
      { cause: error },
    );
  }
}

export function parseXmlTree(xml: string | Uint8Array, limits: XmlLimits): XmlElement {
  const byteLength = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.byteLength;
  if (byteLength > limits.maxBytes) {
    throw invalidInput(
      `${limits.codePrefix}_too_large`,
      `the ${limits.what} is too large: ${byteLength} bytes > ${limits.maxBytes} bytes`,
    );
  }
  let text = typeof xml === 'string' ? xml : decode(xml, limits);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;

  parser.on('doctype', () => {
    // A DOCTYPE is the door to entity expansion (billion laughs) and external entities (XXE);
    // no nuspec needs one, and NuGet's own reader prohibits DTD processing.
    throw invalidInput(
      `${limits.codePrefix}_doctype`,
      `the ${limits.what} has a <!DOCTYPE> declaration (line ${parser.line}); DTDs are not allowed, remove it`,
    );
  });
  parser.on('opentagstart', (tag) => {
    if (stack.length >= limits.maxDepth) {
      throw invalidInput(
        `${limits.codePrefix}_too_deep`,
        `the ${limits.what} nests elements deeper than ${limits.maxDepth} levels (line ${parser.line})`,
      );
    }
    const element: MutableElement = {
      local: tag.name,
      uri: '',
      defaultNamespace: '',
      attributes: new Map(),
      content: [],
    };
    const parent = stack.at(-1);
    if (parent === undefined) root = element;
    else parent.content.push(element);
    stack.push(element);
  });
  parser.on('opentag', (tag) => {
    const element = stack.at(-1) as MutableElement;
    element.local = tag.local ?? tag.name;
    element.uri = tag.uri ?? '';
    element.defaultNamespace = tag.ns?.[''] ?? parser.resolve('') ?? '';
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix !== '' || attribute.name === 'xmlns') continue;
      element.attributes.set(attribute.local, attribute.value);
    }
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (value: string) => {
    const element = stack.at(-1);
    if (element !== undefined) element.content.push(value);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(text).close();
  } catch (error) {
    if (isNuggetError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidInput(
      `${limits.codePrefix}_malformed`,
      `the ${limits.what} is not well-formed XML: ${reason}`,
      {
        cause: error,
      },
    );
  }
  if (root === undefined) {
    throw invalidInput(`${limits.codePrefix}_malformed`, `the ${limits.what} has no root element`);
  }
  return root;
}

export function childElements(element: XmlElement, local?: string): XmlElement[] {
  const children: XmlElement[] = [];
  for (const item of element.content) {
    if (typeof item !== 'string' && (local === undefined || item.local === local)) children.push(item);
  }
  return children;
}

export function firstChild(element: XmlElement, local: string): XmlElement | undefined {
  for (const item of element.content) {
    if (typeof item !== 'string' && item.local === local) return item;
  }
  return undefined;
}

/** All text under the element, like XElement.Value in .NET. */
export function textOf(element: XmlElement): string {
  let text = '';
  for (const item of element.content) text += typeof item === 'string' ? item : textOf(item);
  return text;
}
