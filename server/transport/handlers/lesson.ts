// Lessons: opening one (its settings become the shell's), and the learner's answers to its predictions.
import type { Handlers } from '../connection.js';

export function lessonHandlers(): Handlers<'lesson:open' | 'progress:predict'> {
  return {
    'lesson:open': (req, conn) => conn.started().openLesson(req.lessonId),
    'progress:predict': (req, conn) => conn.started().predictionAnswered(req.lessonId, req.predictionId, req.choice),
  };
}
