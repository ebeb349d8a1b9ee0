// Edge-coverage instrumentation of Herald's TypeScript sources, for the fuzz loop. A synchronous
// module hook (node:module registerHooks) hands every src/ module to the TypeScript compiler API,
// which strips the types and inserts `__hz_cov[id]++` at each branch target: function entry, both
// arms of if/else and ?:, the right operand of && || ??, loop bodies, switch clauses and catch
// blocks (what SanitizerCoverage's edge mode counts, at the source level). Numeric and string
// literals of the same sources feed the auto-dictionary (AFL's and libFuzzer's "-dict" of
// constants), which stands in for the comparison tracing a native fuzzer has.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { coverageMap, MAX_EDGES, type CoverageMap } from './coverage.ts';

const COUNTERS = '__hz_cov';

/** Instruments one module's source; returns JavaScript. Exported for the engine's own test. */
export function instrumentSource(source: string, file: string, map: CoverageMap): string {
  const first = map.used;
  const lines: number[] = [];
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2023, true, ts.ScriptKind.TS);
  const f = ts.factory;

  const transformer: ts.TransformerFactory<ts.SourceFile> = (context) => {
    const bump = (at: ts.Node): ts.Expression => {
      const id = map.used++;
      if (map.used > MAX_EDGES) throw new RangeError(`more than ${MAX_EDGES} edges: raise MAX_EDGES`);
      lines.push(at.pos >= 0 ? sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1 : 0);
      return f.createPostfixIncrement(f.createElementAccessExpression(f.createIdentifier(COUNTERS), f.createNumericLiteral(id)));
    };
    const bumpStatement = (at: ts.Node): ts.Statement => f.createExpressionStatement(bump(at));
    /** A statement as a block that first counts the edge into it. */
    const counted = (s: ts.Statement, original: ts.Node): ts.Block => {
      const inner = ts.isBlock(s) ? [...s.statements] : [s];
      return f.createBlock([bumpStatement(original), ...inner], true);
    };
    const countedExpr = (e: ts.Expression, original: ts.Node): ts.Expression =>
      f.createParenthesizedExpression(f.createComma(bump(original), e));

    const visit = (node: ts.Node): ts.Node => {
      // Literals for the dictionary: the constants decoders compare input against.
      if (ts.isNumericLiteral(node)) map.literals.add(`n:${node.text}`);
      else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
        if (node.text.length > 0 && node.text.length <= 32) map.literals.add(`s:${node.text}`);
      }
      if (ts.isIfStatement(node)) {
        const expression = ts.visitNode(node.expression, visit, ts.isExpression);
        const then = ts.visitNode(node.thenStatement, visit, ts.isStatement);
        const otherwise = node.elseStatement === undefined ? undefined : ts.visitNode(node.elseStatement, visit, ts.isStatement);
        return f.updateIfStatement(node, expression, counted(then, node.thenStatement), otherwise === undefined ? f.createBlock([bumpStatement(node)], true) : counted(otherwise, node.elseStatement ?? node));
      }
      if (ts.isConditionalExpression(node)) {
        const c = ts.visitNode(node.condition, visit, ts.isExpression);
        const a = ts.visitNode(node.whenTrue, visit, ts.isExpression);
        const b = ts.visitNode(node.whenFalse, visit, ts.isExpression);
        return f.updateConditionalExpression(node, c, node.questionToken, countedExpr(a, node.whenTrue), node.colonToken, countedExpr(b, node.whenFalse));
      }
      if (ts.isBinaryExpression(node)) {
        const k = node.operatorToken.kind;
        if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.QuestionQuestionToken) {
          const left = ts.visitNode(node.left, visit, ts.isExpression);
          const right = ts.visitNode(node.right, visit, ts.isExpression);
          return f.updateBinaryExpression(node, left, node.operatorToken, countedExpr(right, node.right));
        }
      }
      if (ts.isCaseClause(node) || ts.isDefaultClause(node)) {
        const visited = ts.visitEachChild(node, visit, context);
        const statements = f.createNodeArray([bumpStatement(node), ...visited.statements]);
        return ts.isCaseClause(visited) ? f.updateCaseClause(visited, visited.expression, statements) : f.updateDefaultClause(visited as ts.DefaultClause, statements);
      }
      if (ts.isCatchClause(node)) {
        const visited = ts.visitEachChild(node, visit, context);
        return f.updateCatchClause(visited, visited.variableDeclaration, counted(visited.block, node));
      }
      if (ts.isIterationStatement(node, false)) {
        const visited = ts.visitEachChild(node, visit, context);
        const body = counted(visited.statement, node.statement);
        if (ts.isForStatement(visited)) return f.updateForStatement(visited, visited.initializer, visited.condition, visited.incrementor, body);
        if (ts.isForOfStatement(visited)) return f.updateForOfStatement(visited, visited.awaitModifier, visited.initializer, visited.expression, body);
        if (ts.isForInStatement(visited)) return f.updateForInStatement(visited, visited.initializer, visited.expression, body);
        if (ts.isWhileStatement(visited)) return f.updateWhileStatement(visited, visited.expression, body);
        if (ts.isDoStatement(visited)) return f.updateDoStatement(visited, body, visited.expression);
        return visited;
      }
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const visited = ts.visitEachChild(node, visit, context);
        if (ts.isArrowFunction(visited) && !ts.isBlock(visited.body)) {
          return f.updateArrowFunction(visited, visited.modifiers, visited.typeParameters, visited.parameters, visited.type, visited.equalsGreaterThanToken, countedExpr(visited.body, node));
        }
        const body = 'body' in visited ? visited.body : undefined;
        if (body !== undefined && ts.isBlock(body)) {
          const block = f.updateBlock(body, [bumpStatement(node), ...body.statements]);
          if (ts.isFunctionDeclaration(visited)) return f.updateFunctionDeclaration(visited, visited.modifiers, visited.asteriskToken, visited.name, visited.typeParameters, visited.parameters, visited.type, block);
          if (ts.isFunctionExpression(visited)) return f.updateFunctionExpression(visited, visited.modifiers, visited.asteriskToken, visited.name, visited.typeParameters, visited.parameters, visited.type, block);
          if (ts.isArrowFunction(visited)) return f.updateArrowFunction(visited, visited.modifiers, visited.typeParameters, visited.parameters, visited.type, visited.equalsGreaterThanToken, block);
          if (ts.isMethodDeclaration(visited)) return f.updateMethodDeclaration(visited, visited.modifiers, visited.asteriskToken, visited.name, visited.questionToken, visited.typeParameters, visited.parameters, visited.type, block);
          if (ts.isConstructorDeclaration(visited)) return f.updateConstructorDeclaration(visited, visited.modifiers, visited.parameters, block);
          if (ts.isGetAccessorDeclaration(visited)) return f.updateGetAccessorDeclaration(visited, visited.modifiers, visited.name, visited.parameters, visited.type, block);
          if (ts.isSetAccessorDeclaration(visited)) return f.updateSetAccessorDeclaration(visited, visited.modifiers, visited.name, visited.parameters, block);
        }
        return visited;
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (root) => ts.visitNode(root, visit, ts.isSourceFile);
  };

  const transformed = ts.transform(sf, [transformer]);
  const printed = ts.createPrinter().printFile(transformed.transformed[0] ?? sf);
  transformed.dispose();
  // Types go in a second pass: transpileModule erases them exactly as Node's type stripping does.
  const js = ts.transpileModule(printed, {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true, sourceMap: false },
  }).outputText;
  map.files.push({ file, first, end: map.used, lines });
  return `const ${COUNTERS} = globalThis.${COUNTERS};\n${js}`;
}

/**
 * Instruments every `.ts` module whose path contains one of `include` (e.g. "/src/") from now on,
 * in this thread. Other modules (the engine, the targets' oracles, node_modules) load untouched.
 */
export function installInstrumentation(include: readonly string[]): CoverageMap {
  const map = coverageMap();
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:') && url.endsWith('.ts')) {
        const file = fileURLToPath(url);
        if (include.some((p) => file.includes(p))) {
          return { format: 'module', source: instrumentSource(readFileSync(file, 'utf8'), file, map), shortCircuit: true };
        }
      }
      return nextLoad(url, context);
    },
  });
  return map;
}
