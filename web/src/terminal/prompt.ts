// The lab's shells print one prompt, PS1 '\u@\h:\w\$ ' (root@isolab:/# , alice@lab.example.org:~/work$ ).
// Recognising it tells the page whether the shell is waiting at its prompt — so a lesson's Run
// need not press Ctrl-C first — and which command lines were run ("Why did that fail?").

/** A prompt, then what was typed after it. */
const PROMPT = /^[^\s@]+@[^\s:]+:\S*[#$] (.*)$/;

/** What is typed after the prompt on LINE ('' at a fresh prompt); null when LINE is not a prompt. */
export function typedAtPrompt(line: string): string | null {
  const m = PROMPT.exec(line);
  return m ? m[1]! : null;
}
