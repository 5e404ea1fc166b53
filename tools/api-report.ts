// `npm run api:report` rewrites packages/{protocol,sdk}/api/*.api.md from the code; `npm run api:check`
// fails when a committed report no longer matches, so every change to the public surface of protocol
// or sdk shows up as a diff in review. The packages export TypeScript sources while API Extractor reads
// only declaration files, so the declarations are emitted into a scratch folder first.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ConsoleMessageId,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
  ExtractorMessageCategory,
  type IConfigFile,
} from '@microsoft/api-extractor';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
// Inside the repository so the declarations resolve `zod` the way the sources do; ignored by git and
// therefore by Biome.
const SCRATCH = join(ROOT, '.api-report');
// API Extractor treats a module as another package only if TypeScript found it in a node_modules
// folder, so sdk sees protocol's declarations through one, while each package's own stay outside.
const PROTOCOL_AS_DEPENDENCY = join(SCRATCH, 'node_modules', '@kurier', 'protocol');
const PACKAGES = ['protocol', 'sdk'] as const;
type PackageName = (typeof PACKAGES)[number];
type Outcome = { changed: boolean; failed: boolean };

const check = process.argv.includes('--check');
const script = check ? 'api:check' : 'api:report';
const reportPath = (name: PackageName): string => `packages/${name}/api/${name}.api.md`;

rmSync(SCRATCH, { recursive: true, force: true });
try {
  emitDeclarations();
  for (const name of PACKAGES) {
    const { changed, failed } = runExtractor(name);
    if (changed) {
      const problem = existsSync(join(ROOT, reportPath(name)))
        ? `is out of date (diff above): the public API of @kurier/${name} changed`
        : 'is missing';
      console.error(`${script}: ${reportPath(name)} ${problem}. Run \`npm run api:report\`, review it and commit it.`);
    }
    if (failed) console.error(`${script}: API Extractor reported problems for @kurier/${name} (above).`);
    if (changed || failed) process.exitCode = 1;
  }
  if (!process.exitCode) console.log(`${script}: ${PACKAGES.map(reportPath).join(' and ')} match the code.`);
} finally {
  rmSync(SCRATCH, { recursive: true, force: true });
}

/** Emits both packages' declarations with one program, keeping sdk's `@kurier/protocol` imports as written. */
function emitDeclarations(): void {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]) },
  );
  if (!parsed) throw new Error('api-report: tsconfig.json could not be read');
  const program = ts.createProgram({
    rootNames: PACKAGES.map((name) => join(ROOT, 'packages', name, 'src', 'index.ts')),
    options: {
      ...parsed.options,
      noEmit: false,
      declaration: true,
      // Lets API Extractor point its messages at the .ts sources instead of the scratch folder.
      declarationMap: true,
      emitDeclarationOnly: true,
      rootDir: join(ROOT, 'packages'),
      outDir: SCRATCH,
    },
  });
  const protocolOut = join(SCRATCH, 'protocol');
  const result = program.emit(
    undefined,
    (fileName, text) => {
      ts.sys.writeFile(fileName, text);
      const inProtocol = relative(protocolOut, fileName);
      if (!inProtocol.startsWith('..')) ts.sys.writeFile(join(PROTOCOL_AS_DEPENDENCY, inProtocol), text);
    },
    undefined,
    true,
  );
  if (result.emitSkipped || result.diagnostics.length > 0) fail(result.diagnostics);
  writeFileSync(
    join(PROTOCOL_AS_DEPENDENCY, 'package.json'),
    JSON.stringify({ name: '@kurier/protocol', types: './src/index.d.ts' }),
  );
}

/** Runs API Extractor for one package: writes its report, or (check) compares it with the committed one. */
function runExtractor(name: PackageName): Outcome {
  const projectFolder = join(ROOT, 'packages', name);
  const entry = join(SCRATCH, name, 'src', 'index.d.ts');
  const configObject: IConfigFile = {
    projectFolder,
    mainEntryPointFilePath: entry,
    newlineKind: 'lf',
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          types: ['node'],
        },
        files: [entry],
      },
    },
    apiReport: {
      enabled: true,
      reportFolder: join(projectFolder, 'api'),
      reportTempFolder: join(SCRATCH, 'reports', name),
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        // Suppressed as noise: the packages are private and released together, so nothing carries
        // @public/@beta tags; house style asks for JSDoc on exports, not on every member.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
        // A type reachable from the surface but not exported is part of the API: note it in the report.
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: true },
      },
      // Suppressed as noise: the sources use JSDoc, whose @example code TSDoc misreads (unescaped `{`
      // and `>`), and the report does not contain doc text, so TSDoc syntax cannot change it.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  let problems = 0;
  const result = Extractor.invoke(
    ExtractorConfig.prepare({
      configObject,
      configObjectFullPath: undefined,
      packageJsonFullPath: join(projectFolder, 'package.json'),
    }),
    {
      localBuild: !check,
      printApiReportDiff: check,
      messageCallback: (message: ExtractorMessage) => {
        // A local build of API Extractor passes despite warnings; counted here so that `api:report`
        // fails on whatever `api:check` would fail on, and CI holds no surprise.
        const isProblem =
          message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning;
        if (isProblem && message.category !== ExtractorMessageCategory.Console) problems += 1;
        // The version notice repeats on every run, and the "please copy" hint names the scratch
        // folder, which is deleted before anyone could copy from it; the script says what to do.
        if (message.messageId === ConsoleMessageId.Preamble) message.handled = true;
        if (message.messageId === ConsoleMessageId.ApiReportNotCopied) message.handled = true;
      },
    },
  );
  return { changed: check && result.apiReportChanged, failed: problems > 0 || result.errorCount > 0 };
}

/** Prints compiler diagnostics relative to the repository and exits, as a stack trace would add nothing. */
function fail(diagnostics: readonly ts.Diagnostic[]): never {
  console.error(
    ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    }),
  );
  console.error(`${script}: the declarations of protocol and sdk could not be emitted (above).`);
  rmSync(SCRATCH, { recursive: true, force: true });
  process.exit(1);
}
