// What the tamper gate's assertion grading knows, as data: which matchers and assert functions pin a
// value (strong) and which only check truthiness, type, length or presence (weak), per framework,
// and the operand shapes that make a comparison weak. Logic lives in assertions.ts.

const words = (text: string) => new Set(text.split(/\s+/).filter(Boolean));
/** node:assert, chai assert/expect/should, jest/vitest/bun expect, ava/tap `t.*`. */
export const JS_EQUALITY = words(
  "equal equals strictEqual deepEqual deepStrictEqual partialDeepStrictEqual is same strictSame eq eql eqls toBe toEqual toStrictEqual",
);
export const JS_TRUTHY = words("ok isOk true truthy isTrue toBeTruthy");
export const JS_PROPERTY = words("property ownProperty deepProperty nestedProperty toHaveProperty haveOwnProperty");
export const JS_STRONG = words(`throws rejects throwsAsync match matches like regex snapshot include includes contain contains deepInclude
  nestedInclude ownInclude members sameMembers sameDeepMembers sameOrderedMembers sameDeepOrderedMembers includeMembers includeDeepMembers
  closeTo approximately propertyVal deepPropertyVal nestedPropertyVal oneOf throw Throw rejectedWith string calledWith calledOnceWith
  calledWithExactly callCount toMatchObject toMatch toContain toContainEqual toThrow toThrowError toThrowErrorMatchingSnapshot
  toThrowErrorMatchingInlineSnapshot toMatchSnapshot toMatchInlineSnapshot toMatchFileSnapshot toHaveBeenCalledWith toHaveBeenLastCalledWith
  toHaveBeenNthCalledWith toBeCalledWith toHaveBeenCalledTimes toBeCalledTimes toHaveReturnedWith toHaveLastReturnedWith
  toHaveNthReturnedWith toReturnWith toHaveReturnedTimes toBeCloseTo toBeOneOf`);
export const JS_WEAK = words(`false falsy isFalse notOk isNotOk exist exists notExists isDefined isUndefined isNull isNotNull isNaN isArray
  isObject isString isNumber isFunction isBoolean isFinite typeOf instanceOf instanceof notInstanceOf lengthOf length isEmpty isNotEmpty
  empty isAbove isBelow isAtLeast isAtMost above below least most greaterThan lessThan gt lt gte lte within notEqual notStrictEqual
  notDeepEqual notDeepStrictEqual notSame doesNotThrow doesNotReject doesNotMatch notThrows notThrowsAsync notRegex notMatch notInclude
  ifError pass null undefined NaN a an keys key satisfy satisfies finite called calledOnce fulfilled rejected toBeFalsy toBeDefined
  toBeUndefined toBeNull toBeNaN toBeInstanceOf toBeTypeOf toHaveLength toBeGreaterThan toBeGreaterThanOrEqual toBeLessThan
  toBeLessThanOrEqual toHaveBeenCalled toBeCalled toHaveBeenCalledOnce toHaveReturned toBeArray toBeEmpty toSatisfy toBeObject
  toBeString toBeNumber toBeFunction toBeBoolean`);
export const PY_EQUALITY = /^assert(?:Equals?|(?:List|Dict|Tuple|Set|Sequence|MultiLine|Array|Iterable)Equals?)$/;
export const CAMEL_STRONG =
  /^assert(?:(?:Count|Items|Almost)Equals?|Raises(?:Regexp?|Regex)?|Warns(?:Regex)?|Regexp?(?:Matches)?|In|DictContainsSubset|LinesMatch|Throws(?:Exactly)?|Same|Logs)$/;
export const CAMEL_WEAK =
  /^assert(?:True|False|IsNone|IsNotNone|Null|NotNull|IsInstance|NotIsInstance|InstanceOf|Is|IsNot|Not[A-Z]\w*|Greater\w*|Less\w*|DoesNotThrow|NoLogs|Timeout\w*)$/;

export const GO_EQUALITY = words("Equal EqualValues Exactly");
export const GO_STRONG =
  words(`JSONEq YAMLEq ElementsMatch Panics PanicsWithValue PanicsWithError EqualError ErrorIs ErrorAs ErrorContains Regexp
  Contains Subset InDelta InDeltaSlice InDeltaMapValues InEpsilon InEpsilonSlice Same WithinDuration WithinRange EqualExportedValues`);
export const GO_WEAK =
  words(`True False Nil NotNil NoError Error Empty NotEmpty Len IsType Implements Zero NotZero Greater GreaterOrEqual Less
  LessOrEqual Positive Negative NotEqual NotEqualValues NotPanics Condition NotContains NotSubset FileExists DirExists NoFileExists
  NoDirExists Eventually EventuallyWithT Never NotRegexp NotSame NotErrorIs NotErrorAs Fail FailNow IsIncreasing IsDecreasing`);

/** Literals that carry no value to compare with: a flag or an absence. */
export const LITERAL = /^(?:true|false|True|False|null|undefined|None|nil|NULL|void 0)$/;
export const TRUE = /^(?:true|True)$/;
/** An operand that is only a type, a size, a presence test or a negation. */
export const WEAK_OPERAND =
  /^(?:typeof\b|!(?!=)|not\s|len\s*\(|type\s*\(|isinstance\s*\(|hasattr\s*\(|callable\s*\(|Array\.isArray\s*\(|Number\.is\w+\s*\(|isNaN\s*\(|reflect\.TypeOf\s*\()|(?:\.length|\.size|\.len\(\)|\.count\(\)|\.size\(\)|\.is_\w+\(\)|\.isEmpty\(\))$|\binstanceof\b|\bis\s+(?:not\s+)?None$/;
/** Checking that one of these holds pins a value: a pattern match, a containment, an approximate equality. */
export const VALUE_MATCH =
  /\bmatches!\s*\(|\.(?:includes|startsWith|endsWith|startswith|endswith|contains|test)\s*\(|\bre\.(?:search|match|fullmatch)\s*\(|\bpytest\.approx\b|(?<!\bnot)\sin\s/;
/** Go helpers that compare values, in a failure guard (`if !reflect.DeepEqual(got, want) {`). */
export const GO_VALUE_CHECK =
  /\breflect\.DeepEqual\b|\bcmp\.(?:Diff|Equal)\b|\b(?:bytes|slices|maps)\.Equal\b|\berrors\.Is\b|\bstrings\.(?:Contains|HasPrefix|HasSuffix)\b/;
/** numpy/pandas/mock snake_case asserts that pin a value (`assert_array_equal`, `assert_called_once_with`). */
export const PY_SNAKE_STRONG = /equal|close|called_(?:once_)?with|any_call|has_calls|raises|match/;
